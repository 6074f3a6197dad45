"""Human handoffs: which chats are talking to a person, opened by whom, since and until when.

Which staff-chat message belongs to which patient is kept with the message itself (the outbox row's
`about_chat_id`), never the words once posted.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.storage.stamps import iso

migrations = Migrations("aftercare.handoffs")


class OpenedBy(StrEnum):
    """Who opened a handoff."""

    PATIENT = "patient"
    STAFF = "staff"


@migrations()
def m001_handoffs(db: Database) -> None:
    """Handoffs (databases made before this module have the table from the alerts module's first step)."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS handoffs (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            patient_id INTEGER REFERENCES patients(id) ON DELETE CASCADE,
            opened_by TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            closed_at TEXT
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS handoffs_open ON handoffs(chat_id) WHERE closed_at IS NULL")
    # The message links now live with the messages (outbox.about_chat_id).
    db.execute("DROP TABLE IF EXISTS handoff_messages")


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


def open_handoff(
    db: Database, chat_id: int, patient_id: int | None, opened_by: OpenedBy, now: datetime
) -> bool:
    """Open a handoff for `chat_id`; False when one is already open."""
    cursor = db.conn.execute(
        "INSERT INTO handoffs (chat_id, patient_id, opened_by, opened_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (chat_id, patient_id, opened_by.value, iso(now)),
    )
    return cursor.rowcount == 1


def close_handoff(db: Database, chat_id: int, now: datetime) -> bool:
    """Close the open handoff of `chat_id`; False when there was none."""
    cursor = db.conn.execute(
        "UPDATE handoffs SET closed_at = ? WHERE chat_id = ? AND closed_at IS NULL", (iso(now), chat_id)
    )
    return cursor.rowcount == 1


def is_open(db: Database, chat_id: int) -> bool:
    """Whether `chat_id` is talking to a person right now."""
    found = db.conn.execute("SELECT 1 FROM handoffs WHERE chat_id = ? AND closed_at IS NULL", (chat_id,))
    return found.fetchone() is not None


def purge_closed(db: Database, before: str) -> int:
    """Retention: delete handoffs closed before `before`."""
    return int(
        db.conn.execute(
            "DELETE FROM handoffs WHERE closed_at IS NOT NULL AND closed_at < ?", (before,)
        ).rowcount
    )


def forget_chat(db: Database, chat_id: int) -> int:
    """/forget: delete every handoff of `chat_id`."""
    return int(db.conn.execute("DELETE FROM handoffs WHERE chat_id = ?", (chat_id,)).rowcount)
