"""Check-in answers: one per check-in, whatever the number of presses, and the answers to the warning-sign
questions asked after "Something's wrong"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.storage.stamps import iso

migrations = Migrations("aftercare.checkin_log")


@migrations()
def m001_checkin_log(db: Database) -> None:
    """Responses to check-ins and answers to the warning-sign questions."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS checkin_responses (
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
        CREATE TABLE IF NOT EXISTS checkin_followups (
            id INTEGER PRIMARY KEY,
            response_id INTEGER NOT NULL REFERENCES checkin_responses(id) ON DELETE CASCADE,
            question INTEGER NOT NULL,
            answer TEXT NOT NULL,
            answered_at TEXT NOT NULL,
            UNIQUE (response_id, question)
        )
        """
    )


@migrations()
def m002_drop_staff_events_handled_at(db: Database) -> None:
    """staff_events.handled_at was never written (the table now belongs to the staff_events module)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(staff_events)").fetchall()}
    if "handled_at" in columns:
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


def recent_answers(db: Database, patient_id: int, limit: int) -> list[tuple[int | None, str]]:
    """The patient's latest check-in answers: (check-in day, option id), newest first."""
    rows = db.conn.execute(
        "SELECT step_day, option FROM checkin_responses WHERE patient_id = ?"
        " ORDER BY answered_at DESC, id DESC LIMIT ?",
        (patient_id, limit),
    ).fetchall()
    return [(r[0] if isinstance(r[0], int) else None, str(r[1])) for r in rows]
