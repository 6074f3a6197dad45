"""Notices for staff that are not alerts: a patient who blocked the bot, a message whose delivery is unknown,
a flood of warning signs from people not enrolled. Each is listed once in /alerts (then marked shown)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.storage.patients import _add_column
from bot.storage.stamps import iso

migrations = Migrations("aftercare.staff_events")


class NoticeKind(StrEnum):
    """What staff are told about."""

    UNREACHABLE = "unreachable"
    """The patient blocked the bot: check-ins stopped."""
    UNCERTAIN = "uncertain"
    """A message may not have arrived (a timeout after it was sent)."""
    FLOOD = "flood"
    """Warning signs from people not enrolled beyond the hourly alert limit (counted, one notice an hour)."""


@migrations()
def m001_staff_events(db: Database) -> None:
    """The table (databases made earlier have it from the check-in log's first step) and `shown_at`."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS staff_events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            dedupe_key TEXT NOT NULL UNIQUE,
            patient_id INTEGER REFERENCES patients(id) ON DELETE CASCADE,
            treatment_id INTEGER REFERENCES treatments(id) ON DELETE CASCADE,
            outbox_id INTEGER REFERENCES outbox(id) ON DELETE CASCADE,
            tier TEXT,
            reason TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    _add_column(db, "staff_events", "shown_at", "TEXT")
    # Check-in escalations used to wait here for a job to turn them into alerts; they are alerts at once now.
    db.execute("DELETE FROM staff_events WHERE kind = 'escalation'")


@migrations()
def m002_count(db: Database) -> None:
    """How many times a counted notice (a flood) happened."""
    _add_column(db, "staff_events", "count", "INTEGER NOT NULL DEFAULT 1")


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


@dataclass(frozen=True)
class Notice:
    """A notice not shown to staff yet."""

    id: int
    kind: NoticeKind
    patient_id: int | None
    outbox_id: int | None
    created_at: str
    count: int = 1


def record(
    db: Database,
    kind: NoticeKind,
    dedupe_key: str,
    now: datetime,
    *,
    patient_id: int | None = None,
    outbox_id: int | None = None,
) -> bool:
    """Record a notice once per dedupe key; True when it is new."""
    cursor = db.conn.execute(
        "INSERT INTO staff_events (kind, dedupe_key, patient_id, outbox_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
        (kind.value, dedupe_key, patient_id, outbox_id, iso(now), iso(now)),
    )
    return cursor.rowcount == 1


def count_up(db: Database, kind: NoticeKind, dedupe_key: str, now: datetime) -> int:
    """Count one more of a counted notice (listed again in /alerts with the new count); the count so far."""
    db.conn.execute(
        "INSERT INTO staff_events (kind, dedupe_key, created_at, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (dedupe_key) DO UPDATE SET count = count + 1, updated_at = excluded.updated_at,"
        " shown_at = NULL",
        (kind.value, dedupe_key, iso(now), iso(now)),
    )
    found = db.conn.execute("SELECT count FROM staff_events WHERE dedupe_key = ?", (dedupe_key,)).fetchone()
    return int(found[0])


def unshown(db: Database) -> list[Notice]:
    """Notices not listed for staff yet, oldest first."""
    rows = db.conn.execute(
        f"SELECT {_COLUMNS} FROM staff_events WHERE shown_at IS NULL AND kind IN ({_KINDS}) ORDER BY id",
        tuple(k.value for k in NoticeKind),
    ).fetchall()
    return [_notice(r) for r in rows]


def mark_shown(db: Database, ids: list[int], now: datetime) -> None:
    """These notices were listed: not again."""
    for notice_id in ids:
        db.conn.execute("UPDATE staff_events SET shown_at = ? WHERE id = ?", (iso(now), notice_id))


def events(db: Database, kind: NoticeKind | None = None) -> list[Notice]:
    """Every notice, oldest first (optionally of one kind)."""
    sql = f"SELECT {_COLUMNS} FROM staff_events"
    args: tuple[object, ...] = ()
    if kind is not None:
        sql += " WHERE kind = ?"
        args = (kind.value,)
    rows = db.conn.execute(sql + " ORDER BY id", args).fetchall()
    return [_notice(r) for r in rows]


_COLUMNS = "id, kind, patient_id, outbox_id, created_at, count"
_KINDS = ", ".join("?" for _ in NoticeKind)


def _notice(r: Any) -> Notice:
    return Notice(int(r[0]), NoticeKind(str(r[1])), r[2], r[3], str(r[4]), int(r[5]))
