"""The question log: what was asked about (topic, confidence); the text only when the bot could not answer."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("aftercare.questions")


@migrations()
def m001_question_log(db: Database) -> None:
    """One row per question; `text` is NULL for answered questions."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS question_log (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER REFERENCES patients(id) ON DELETE CASCADE,
            asked_at TEXT NOT NULL,
            procedure TEXT NOT NULL,
            day INTEGER,
            topic TEXT,
            confidence REAL NOT NULL,
            urgency TEXT,
            text TEXT
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS question_log_patient ON question_log(patient_id)")
    db.execute("CREATE INDEX IF NOT EXISTS question_log_asked ON question_log(asked_at)")


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


def record(
    db: Database,
    patient_id: int | None,
    asked_at: str,
    procedure: str,
    day: int | None,
    topic: str | None,
    confidence: float,
    urgency: str | None,
    text: str | None,
) -> None:
    """Log one question (pass `text` only for unanswered questions)."""
    db.execute(
        "INSERT INTO question_log (patient_id, asked_at, procedure, day, topic, confidence, urgency, text)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (patient_id, asked_at, procedure, day, topic, confidence, urgency, text),
    )


def purge(db: Database, text_before: str, rows_before: str) -> tuple[int, int]:
    """Blank texts logged before `text_before`, delete rows logged before `rows_before`."""
    blanked = db.execute(
        "UPDATE question_log SET text = NULL WHERE text IS NOT NULL AND asked_at < ?", (text_before,)
    ).rowcount
    deleted = db.execute("DELETE FROM question_log WHERE asked_at < ?", (rows_before,)).rowcount
    return int(blanked), int(deleted)


def unanswered(db: Database, limit: int = 100) -> list[tuple[str, str, str]]:
    """The latest unanswered questions still kept: (asked_at, procedure, text)."""
    rows = db.execute(
        "SELECT asked_at, procedure, text FROM question_log WHERE text IS NOT NULL"
        " ORDER BY asked_at DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [(str(a), str(p), str(t)) for a, p, t in rows]
