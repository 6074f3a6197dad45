"""Warning-sign and crisis alerts for staff: who, which tier, from where, taken by whom; no more than that.

An alert row holds no words: the patient's words live only in the queued alert messages (outbox payloads),
dropped once posted or no longer needed. The messages themselves are queued by the alerts service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.core.model import Tier
from bot.storage.like import escaped
from bot.storage.stamps import iso, parse_iso

migrations = Migrations("aftercare.alerts")


class Source(StrEnum):
    """What raised an alert."""

    MESSAGE = "message"
    CHECKIN = "checkin"


@migrations()
def m001_alerts(db: Database) -> None:
    """Alerts (handoffs, once created here, now have their own module)."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS alerts (
            id INTEGER PRIMARY KEY,
            source_key TEXT NOT NULL UNIQUE,
            chat_id INTEGER NOT NULL,
            patient_id INTEGER REFERENCES patients(id) ON DELETE CASCADE,
            tier TEXT NOT NULL,
            source TEXT NOT NULL,
            created_at TEXT NOT NULL,
            acknowledged_at TEXT,
            acknowledged_by INTEGER
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS alerts_open ON alerts(acknowledged_at, chat_id)")


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


@dataclass(frozen=True)
class Alert:
    """One alert as staff see it."""

    id: int
    chat_id: int
    patient_id: int | None
    tier: Tier
    source: Source
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: int | None


_COLUMNS = "id, chat_id, patient_id, tier, source, created_at, acknowledged_at, acknowledged_by"


def _alert(r: tuple[object, ...]) -> Alert:
    return Alert(
        int(str(r[0])),
        int(str(r[1])),
        r[2] if isinstance(r[2], int) else None,
        Tier(str(r[3])),
        Source(str(r[4])),
        parse_iso(str(r[5])),
        parse_iso(r[6]) if isinstance(r[6], str) else None,
        r[7] if isinstance(r[7], int) else None,
    )


def open_alert_at_least(db: Database, chat_id: int, tier: Tier) -> Alert | None:
    """The newest untaken alert of `chat_id` at least as urgent as `tier`."""
    tiers = tuple(t.value for t in Tier if t.rank <= tier.rank)
    marks = ",".join("?" * len(tiers))
    r = db.conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE chat_id = ? AND acknowledged_at IS NULL "
        f"AND tier IN ({marks}) ORDER BY id DESC LIMIT 1",
        (chat_id, *tiers),
    ).fetchone()
    return _alert(r) if r else None


def create(
    db: Database,
    source_key: str,
    chat_id: int,
    patient_id: int | None,
    tier: Tier,
    source: Source,
    now: datetime,
) -> int | None:
    """Store a new alert once per `source_key`; its id, or None when it already existed."""
    cursor = db.conn.execute(
        "INSERT INTO alerts (source_key, chat_id, patient_id, tier, source, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING",
        (source_key, chat_id, patient_id, tier.value, source.value, iso(now)),
    )
    return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None


def most_urgent_tier(db: Database, source_prefix: str) -> Tier | None:
    """The most urgent tier among alerts whose source key starts with `source_prefix` (one check-in's)."""
    rows = db.conn.execute(
        "SELECT tier FROM alerts WHERE source_key LIKE ? ESCAPE '\\'",
        (escaped(source_prefix) + "%",),
    ).fetchall()
    tiers = [Tier(str(r[0])) for r in rows]
    return min(tiers, key=lambda t: t.rank) if tiers else None


def get(db: Database, alert_id: int) -> Alert | None:
    """One alert."""
    r = db.conn.execute(f"SELECT {_COLUMNS} FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    return _alert(r) if r else None


def open_alerts(db: Database) -> list[Alert]:
    """Every untaken alert, most urgent first, then oldest first."""
    rows = db.conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE acknowledged_at IS NULL ORDER BY id"
    ).fetchall()
    return sorted((_alert(r) for r in rows), key=lambda a: (a.tier.rank, a.id))


def acknowledge(db: Database, alert_id: int, staff_id: int, now: datetime) -> bool:
    """Mark an open alert as taken by `staff_id`; False when it was already taken (or unknown)."""
    cursor = db.conn.execute(
        "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND acknowledged_at IS NULL",
        (iso(now), staff_id, alert_id),
    )
    return cursor.rowcount == 1


def ack_times(db: Database, since: str) -> tuple[int, list[float]]:
    """Alerts created since `since`: how many, and the minutes each acknowledged one waited."""
    rows = db.conn.execute(
        "SELECT created_at, acknowledged_at FROM alerts WHERE created_at >= ?", (since,)
    ).fetchall()
    waits = [
        (datetime.fromisoformat(a) - datetime.fromisoformat(c)).total_seconds() / 60
        for c, a in rows
        if a is not None
    ]
    return len(rows), waits


def count_since(db: Database, since: datetime, *, strangers: bool) -> int:
    """Alerts raised since `since` by people not enrolled (`strangers`) or by patients."""
    column = "patient_id IS NULL" if strangers else "patient_id IS NOT NULL"
    found = db.conn.execute(f"SELECT COUNT(*) FROM alerts WHERE {column} AND created_at >= ?", (iso(since),))
    return int(found.fetchone()[0])


def latest_for_chat(db: Database, chat_id: int) -> Alert | None:
    """The chat's most recent alert, taken or not."""
    r = db.conn.execute(
        f"SELECT {_COLUMNS} FROM alerts WHERE chat_id = ? ORDER BY id DESC LIMIT 1", (chat_id,)
    )
    found = r.fetchone()
    return _alert(found) if found else None


def ids_for_chat(db: Database, chat_id: int) -> list[int]:
    """Every alert of `chat_id` (for /forget, which deletes their queued messages too)."""
    return [int(r[0]) for r in db.conn.execute("SELECT id FROM alerts WHERE chat_id = ?", (chat_id,))]


def forget_chat(db: Database, chat_id: int) -> int:
    """/forget: delete every alert of `chat_id`."""
    return int(db.conn.execute("DELETE FROM alerts WHERE chat_id = ?", (chat_id,)).rowcount)
