"""Warning-sign alerts for staff and human handoffs: who, which tier, acknowledged when; no more than that.

An alert row holds no words: the patient's words live only in the queued alert messages (outbox payloads),
and a payload is dropped once it was posted or is no longer needed (the repeat, once someone took the alert).
A handoff keeps only which staff-chat message belongs to which patient, never the messages themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.storage.outbox import _transaction, iso

migrations = Migrations("aftercare.alerts")

ALERT = "alert"
"""Outbox kind of a staff alert (dedupe keys `alert:<id>` and `alert:<id>:repeat`)."""


@migrations()
def m001_alerts(db: Database) -> None:
    """Alerts, handoffs and the staff-chat messages that belong to a handoff."""
    db.execute(
        """
        CREATE TABLE alerts (
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
    db.execute("CREATE INDEX alerts_open ON alerts(acknowledged_at, chat_id)")
    db.execute(
        """
        CREATE TABLE handoffs (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            patient_id INTEGER REFERENCES patients(id) ON DELETE CASCADE,
            opened_by TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            closed_at TEXT
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX handoffs_open ON handoffs(chat_id) WHERE closed_at IS NULL")
    db.execute(
        """
        CREATE TABLE handoff_messages (
            staff_chat_id INTEGER NOT NULL,
            message_id INTEGER NOT NULL,
            handoff_id INTEGER NOT NULL REFERENCES handoffs(id) ON DELETE CASCADE,
            chat_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (staff_chat_id, message_id)
        )
        """
    )


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


@dataclass(frozen=True)
class Alert:
    """One alert as staff see it."""

    id: int
    chat_id: int
    patient_id: int | None
    tier: str
    source: str
    created_at: str
    acknowledged_at: str | None
    acknowledged_by: int | None


_ALERT_COLUMNS = "id, chat_id, patient_id, tier, source, created_at, acknowledged_at, acknowledged_by"


def _alert(r: tuple[object, ...]) -> Alert:
    return Alert(
        int(r[0]),  # type: ignore[call-overload]
        int(r[1]),  # type: ignore[call-overload]
        r[2] if isinstance(r[2], int) else None,
        str(r[3]),
        str(r[4]),
        str(r[5]),
        r[6] if isinstance(r[6], str) else None,
        r[7] if isinstance(r[7], int) else None,
    )


def open_alert_at_least(db: Database, chat_id: int, tiers: tuple[str, ...]) -> Alert | None:
    """The newest unacknowledged alert of `chat_id` whose tier is one of `tiers`."""
    marks = ",".join("?" * len(tiers))
    r = db.conn.execute(
        f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE chat_id = ? AND acknowledged_at IS NULL "
        f"AND tier IN ({marks}) ORDER BY id DESC LIMIT 1",
        (chat_id, *tiers),
    ).fetchone()
    return _alert(r) if r else None


def create(
    db: Database,
    source_key: str,
    chat_id: int,
    patient_id: int | None,
    tier: str,
    source: str,
    now: datetime,
) -> int | None:
    """Store a new alert once per `source_key`; its id, or None when it already existed."""
    cursor = db.conn.execute(
        "INSERT INTO alerts (source_key, chat_id, patient_id, tier, source, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING",
        (source_key, chat_id, patient_id, tier, source, iso(now)),
    )
    return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None


def get(db: Database, alert_id: int) -> Alert | None:
    """One alert."""
    r = db.conn.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    return _alert(r) if r else None


def open_alerts(db: Database) -> list[Alert]:
    """Every unacknowledged alert, oldest first."""
    rows = db.conn.execute(
        f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE acknowledged_at IS NULL ORDER BY id"
    ).fetchall()
    return [_alert(r) for r in rows]


def acknowledge(db: Database, alert_id: int, staff_id: int, now: datetime) -> bool:
    """Mark an open alert as taken by `staff_id`: its repeat is cancelled and the stored copies of the alert
    message (with the patient's words) are dropped. False when it was already acknowledged (or unknown)."""
    with _transaction(db) as conn:
        cursor = conn.execute(
            "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? "
            "WHERE id = ? AND acknowledged_at IS NULL",
            (iso(now), staff_id, alert_id),
        )
        if cursor.rowcount != 1:
            return False
        conn.execute(
            "UPDATE outbox SET state = 'skipped', last_error = 'acknowledged', updated_at = ? "
            "WHERE kind = ? AND dedupe_key = ? AND state = 'pending'",
            (iso(now), ALERT, f"alert:{alert_id}:repeat"),
        )
        conn.execute(
            "UPDATE outbox SET payload = NULL WHERE kind = ? AND dedupe_key IN (?, ?)",
            (ALERT, f"alert:{alert_id}", f"alert:{alert_id}:repeat"),
        )
    return True


def drop_spent_payloads(db: Database) -> int:
    """Drop the stored text of alert messages posted (or never to be): only pending ones keep it."""
    cursor = db.conn.execute(
        "UPDATE outbox SET payload = NULL WHERE kind = ? AND state != 'pending' AND payload IS NOT NULL",
        (ALERT,),
    )
    return int(cursor.rowcount)


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


def escalation_key(event_id: int, tier: str) -> str:
    """The source key of the alert for a check-in escalation at a tier (a rise of tier is a new alert)."""
    return f"event:{event_id}:{tier}"


@dataclass(frozen=True)
class Escalation:
    """A check-in escalation (from `checkin_log.staff_events`) that has no alert at its tier yet."""

    event_id: int
    patient_id: int
    chat_id: int
    tier: str


def unalerted_escalations(db: Database, since: datetime) -> list[Escalation]:
    """Escalations recorded or raised since `since` with no alert at their current tier, oldest first."""
    rows = db.conn.execute(
        """
        SELECT e.id, e.patient_id, p.chat_id, e.tier
        FROM staff_events e JOIN patients p ON p.id = e.patient_id
        WHERE e.kind = 'escalation' AND e.tier IS NOT NULL AND e.updated_at >= ?
          AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.source_key = 'event:' || e.id || ':' || e.tier)
        ORDER BY e.id
        """,
        (iso(since),),
    ).fetchall()
    return [Escalation(int(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]


def recent_answers(db: Database, patient_id: int, limit: int) -> list[tuple[int | None, str]]:
    """The patient's latest check-in answers: (check-in day, option id), newest first."""
    rows = db.conn.execute(
        "SELECT step_day, option FROM checkin_responses WHERE patient_id = ? "
        "ORDER BY answered_at DESC, id DESC LIMIT ?",
        (patient_id, limit),
    ).fetchall()
    return [(r[0] if isinstance(r[0], int) else None, str(r[1])) for r in rows]


def due_messages(db: Database, now: datetime) -> int:
    """How many alert messages (first posts and repeats) are due in the outbox and not sent yet."""
    found = db.conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE kind = ? AND state = 'pending' AND next_attempt_at <= ?",
        (ALERT, iso(now)),
    ).fetchone()
    return int(found[0])


# -- handoffs ------------------------------------------------------------------------------------------


def open_handoff(db: Database, chat_id: int, patient_id: int | None, opened_by: str, now: datetime) -> bool:
    """Open a handoff for `chat_id`; False when one is already open."""
    cursor = db.conn.execute(
        "INSERT INTO handoffs (chat_id, patient_id, opened_by, opened_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (chat_id, patient_id, opened_by, iso(now)),
    )
    return cursor.rowcount == 1


def close_handoff(db: Database, chat_id: int, now: datetime) -> bool:
    """Close the open handoff of `chat_id`; False when there was none."""
    cursor = db.conn.execute(
        "UPDATE handoffs SET closed_at = ? WHERE chat_id = ? AND closed_at IS NULL", (iso(now), chat_id)
    )
    return cursor.rowcount == 1


def open_handoff_chats(db: Database) -> set[int]:
    """Chats with an open handoff."""
    return {int(r[0]) for r in db.conn.execute("SELECT chat_id FROM handoffs WHERE closed_at IS NULL")}


def remember_message(db: Database, staff_chat_id: int, message_id: int, chat_id: int, now: datetime) -> bool:
    """Note that staff-chat message `message_id` belongs to the open handoff of `chat_id`."""
    found = db.conn.execute(
        "SELECT id FROM handoffs WHERE chat_id = ? AND closed_at IS NULL", (chat_id,)
    ).fetchone()
    if found is None:
        return False
    db.conn.execute(
        "INSERT OR REPLACE INTO handoff_messages "
        "(staff_chat_id, message_id, handoff_id, chat_id, created_at) VALUES (?, ?, ?, ?, ?)",
        (staff_chat_id, message_id, int(found[0]), chat_id, iso(now)),
    )
    return True


def message_owner(db: Database, staff_chat_id: int, message_id: int) -> tuple[int, bool] | None:
    """The patient chat a staff-chat message belongs to, and whether that handoff is still open."""
    r = db.conn.execute(
        "SELECT m.chat_id, h.closed_at IS NULL FROM handoff_messages m "
        "JOIN handoffs h ON h.id = m.handoff_id WHERE m.staff_chat_id = ? AND m.message_id = ?",
        (staff_chat_id, message_id),
    ).fetchone()
    return (int(r[0]), bool(r[1])) if r else None


def purge_closed(db: Database, before: str) -> int:
    """Retention: delete handoffs closed before `before` (their message links go with them)."""
    return int(
        db.conn.execute(
            "DELETE FROM handoffs WHERE closed_at IS NOT NULL AND closed_at < ?", (before,)
        ).rowcount
    )


def forget_chat(db: Database, chat_id: int) -> dict[str, int]:
    """/forget: delete every alert, queued alert message and handoff of `chat_id`; rows per table."""
    ids = [int(r[0]) for r in db.conn.execute("SELECT id FROM alerts WHERE chat_id = ?", (chat_id,))]
    counts: dict[str, int] = {}
    outbox_rows = 0
    for alert_id in ids:
        outbox_rows += db.conn.execute(
            "DELETE FROM outbox WHERE kind = ? AND dedupe_key IN (?, ?)",
            (ALERT, f"alert:{alert_id}", f"alert:{alert_id}:repeat"),
        ).rowcount
    counts["alerts"] = db.conn.execute("DELETE FROM alerts WHERE chat_id = ?", (chat_id,)).rowcount
    counts["outbox"] = outbox_rows
    counts["handoff_messages"] = db.conn.execute(
        "DELETE FROM handoff_messages WHERE chat_id = ?", (chat_id,)
    ).rowcount
    counts["handoffs"] = db.conn.execute("DELETE FROM handoffs WHERE chat_id = ?", (chat_id,)).rowcount
    return {k: int(v) for k, v in counts.items() if v}
