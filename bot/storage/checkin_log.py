"""Check-in answers (one per check-in, whatever the number of presses) and events staff must see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.core.model import Tier
from bot.storage.outbox import OutboxRow, iso

migrations = Migrations("aftercare.checkin_log")


@migrations()
def m001_checkin_log(db: Database) -> None:
    """Responses to check-ins, answers to the warning-sign questions, and staff events."""
    db.execute(
        """
        CREATE TABLE checkin_responses (
            id INTEGER PRIMARY KEY,
            outbox_id INTEGER NOT NULL UNIQUE REFERENCES outbox(id) ON DELETE CASCADE,
            patient_id INTEGER REFERENCES patients(id) ON DELETE CASCADE,
            treatment_id INTEGER REFERENCES treatments(id) ON DELETE CASCADE,
            step_day INTEGER,
            option TEXT NOT NULL,
            answered_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE checkin_followups (
            id INTEGER PRIMARY KEY,
            response_id INTEGER NOT NULL REFERENCES checkin_responses(id) ON DELETE CASCADE,
            question INTEGER NOT NULL,
            answer TEXT NOT NULL,
            answered_at TEXT NOT NULL,
            UNIQUE (response_id, question)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE staff_events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            dedupe_key TEXT NOT NULL UNIQUE,
            patient_id INTEGER REFERENCES patients(id) ON DELETE CASCADE,
            treatment_id INTEGER REFERENCES treatments(id) ON DELETE CASCADE,
            outbox_id INTEGER REFERENCES outbox(id) ON DELETE CASCADE,
            tier TEXT,
            reason TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            handled_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX staff_events_open ON staff_events(handled_at, created_at)")


@migrations()
def m002_drop_staff_events_handled_at(db: Database) -> None:
    """staff_events.handled_at was never written: taking an alert is recorded on the alert row."""
    db.execute("DROP INDEX IF EXISTS staff_events_open")
    db.execute("ALTER TABLE staff_events DROP COLUMN handled_at")


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


@dataclass(frozen=True)
class Response:
    """A stored answer to one check-in."""

    id: int
    outbox_id: int
    option: str
    step_day: int | None


@dataclass(frozen=True)
class StaffEvent:
    """Something staff must see: an escalation (with its tier) or a patient who blocked the bot."""

    id: int
    kind: str
    patient_id: int | None
    treatment_id: int | None
    outbox_id: int | None
    tier: str | None
    reason: str | None


def record_response(
    db: Database,
    outbox_id: int,
    patient_id: int | None,
    treatment_id: int | None,
    step_day: int | None,
    option: str,
    now: datetime,
) -> tuple[Response, bool]:
    """Store the answer to a check-in unless one exists; return the stored one and whether it is new."""
    cursor = db.conn.execute(
        """
        INSERT INTO checkin_responses (outbox_id, patient_id, treatment_id, step_day, option, answered_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (outbox_id) DO NOTHING
        """,
        (outbox_id, patient_id, treatment_id, step_day, option, iso(now)),
    )
    found = response_for(db, outbox_id)
    assert found is not None
    return found, cursor.rowcount == 1


def response_for(db: Database, outbox_id: int) -> Response | None:
    """The answer to a check-in, if any."""
    r = db.conn.execute(
        "SELECT id, outbox_id, option, step_day FROM checkin_responses WHERE outbox_id = ?", (outbox_id,)
    ).fetchone()
    return Response(int(r[0]), int(r[1]), str(r[2]), r[3]) if r else None


def record_followup(db: Database, response_id: int, question: int, answer: str, now: datetime) -> bool:
    """Store the answer to one warning-sign question; False when it was already answered."""
    cursor = db.conn.execute(
        "INSERT INTO checkin_followups (response_id, question, answer, answered_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (response_id, question, answer, iso(now)),
    )
    return cursor.rowcount == 1


def record_staff_event(
    db: Database,
    kind: str,
    dedupe_key: str,
    now: datetime,
    *,
    patient_id: int | None = None,
    treatment_id: int | None = None,
    outbox_id: int | None = None,
    tier: str | None = None,
    reason: str | None = None,
) -> bool:
    """Record an event once per dedupe key; a later, more urgent tier for the same key raises it.
    Return True when the event is new or became more urgent."""
    cursor = db.conn.execute(
        """
        INSERT INTO staff_events (kind, dedupe_key, patient_id, treatment_id, outbox_id, tier, reason,
                                  created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING
        """,
        (kind, dedupe_key, patient_id, treatment_id, outbox_id, tier, reason, iso(now), iso(now)),
    )
    if cursor.rowcount == 1 or tier is None:
        return cursor.rowcount == 1
    current = db.conn.execute("SELECT tier FROM staff_events WHERE dedupe_key = ?", (dedupe_key,)).fetchone()
    old = current[0] if current else None
    if old in set(Tier) and tier in set(Tier) and Tier(tier).rank >= Tier(old).rank:
        return False
    db.conn.execute(
        "UPDATE staff_events SET tier = ?, reason = ?, updated_at = ? WHERE dedupe_key = ?",
        (tier, reason, iso(now), dedupe_key),
    )
    return True


def record_checkin_event(
    db: Database, kind: str, dedupe_key: str, row: OutboxRow, now: datetime, tier: str | None, reason: str
) -> bool:
    """`record_staff_event` for a check-in row: its patient, treatment and outbox id go with the event."""
    return record_staff_event(
        db,
        kind,
        dedupe_key,
        now,
        patient_id=row.patient_id,
        treatment_id=row.treatment_id,
        outbox_id=row.id,
        tier=tier,
        reason=reason,
    )


def staff_events(db: Database, kind: str | None = None) -> list[StaffEvent]:
    """Staff events, oldest first (optionally of one kind)."""
    sql = "SELECT id, kind, patient_id, treatment_id, outbox_id, tier, reason FROM staff_events"
    args: tuple[object, ...] = ()
    if kind is not None:
        sql += " WHERE kind = ?"
        args = (kind,)
    rows = db.conn.execute(sql + " ORDER BY id", args).fetchall()
    return [StaffEvent(int(r[0]), str(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]
