"""Read-only queries behind the staff commands /patients and /stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from bot.storage.like import escaped


@dataclass(frozen=True)
class PatientRow:
    """An active patient: their latest treatment and their last check-in answer."""

    patient_id: int
    chat_id: int
    name: str | None
    timezone: str
    procedure: str
    treated_on: date
    last_option: str | None
    last_step_day: int | None
    unreachable: bool


def inactive_patient_chats(db: Database, treated_before: date) -> list[int]:
    """Chats of patients whose latest treatment was before `treated_before` (retention: they are forgotten);
    a patient without any treatment counts from when they were added."""
    rows = db.conn.execute(
        """
        SELECT p.chat_id FROM patients p
        WHERE COALESCE((SELECT MAX(t.treated_on) FROM treatments t WHERE t.patient_id = p.id),
                       substr(p.created_at, 1, 10)) < ?
        ORDER BY p.id
        """,
        (treated_before.isoformat(),),
    ).fetchall()
    return [int(r[0]) for r in rows]


_PATIENT_LINES = """
        SELECT p.id, p.chat_id, p.name, p.timezone, t.procedure, t.treated_on,
               (SELECT r.option FROM checkin_responses r WHERE r.patient_id = p.id
                ORDER BY r.answered_at DESC, r.id DESC LIMIT 1),
               (SELECT r.step_day FROM checkin_responses r WHERE r.patient_id = p.id
                ORDER BY r.answered_at DESC, r.id DESC LIMIT 1),
               p.unreachable
        FROM patients p
        JOIN treatments t ON t.id = (
            SELECT id FROM treatments WHERE patient_id = p.id ORDER BY treated_on DESC, id DESC LIMIT 1)
        WHERE {where}
        ORDER BY t.treated_on DESC, p.id
        LIMIT ?
"""


def active_patients(db: Database, treated_since: date, limit: int = 50) -> list[PatientRow]:
    """Patients whose latest treatment is on or after `treated_since`, most recent treatment first."""
    query = _PATIENT_LINES.format(where="t.treated_on >= ?")
    return _patient_rows(db.conn.execute(query, (treated_since.isoformat(), limit)).fetchall())


def patients_named(db: Database, name: str, limit: int = 20) -> list[PatientRow]:
    """Patients whose name contains `name` (any case), whenever treated, most recent treatment first."""
    pattern = "%" + escaped(name) + "%"
    query = _PATIENT_LINES.format(where="p.name LIKE ? ESCAPE '\\'")
    return _patient_rows(db.conn.execute(query, (pattern, limit)).fetchall())


def _patient_rows(rows: list[Any]) -> list[PatientRow]:
    return [
        PatientRow(
            int(r[0]),
            int(r[1]),
            r[2],
            str(r[3]),
            str(r[4]),
            date.fromisoformat(str(r[5])),
            r[6],
            r[7],
            bool(r[8]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Counts:
    """What happened since a moment (UTC ISO)."""

    enrolled: int
    answered: int
    abstained: int
    warning_signs: int
    checkins_sent: int
    checkins_answered: int


def counts_since(db: Database, since: str) -> Counts:
    """Enrollments, questions (answered, abstained, warning signs) and check-ins since `since`."""

    def one(sql: str) -> int:
        return int(db.conn.execute(sql, (since,)).fetchone()[0] or 0)

    return Counts(
        enrolled=one("SELECT COUNT(DISTINCT patient_id) FROM treatments WHERE created_at >= ?"),
        answered=one("SELECT COUNT(*) FROM question_log WHERE asked_at >= ? AND topic IS NOT NULL"),
        abstained=one(
            "SELECT COUNT(*) FROM question_log WHERE asked_at >= ? AND topic IS NULL AND urgency IS NULL"
        ),
        warning_signs=one("SELECT COUNT(*) FROM question_log WHERE asked_at >= ? AND urgency IS NOT NULL"),
        checkins_sent=one(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'checkin' AND state = 'sent' AND sent_at >= ?"
        ),
        checkins_answered=one(
            "SELECT COUNT(*) FROM outbox o JOIN checkin_responses r ON r.outbox_id = o.id "
            "WHERE o.kind = 'checkin' AND o.state = 'sent' AND o.sent_at >= ?"
        ),
    )


def unanswered_since(db: Database, since: str, limit: int = 2000) -> list[tuple[str, str]]:
    """Kept texts of questions the bot could not answer since `since`: (procedure, text), newest first."""
    rows = db.conn.execute(
        "SELECT procedure, text FROM question_log WHERE text IS NOT NULL AND asked_at >= ? "
        "ORDER BY asked_at DESC LIMIT ?",
        (since, limit),
    ).fetchall()
    return [(str(p), str(t)) for p, t in rows]
