"""Processed Telegram update ids, so that a restart never answers an update twice."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("aftercare.updates")


@migrations()
def m001_processed_updates(db: Database) -> None:
    """One row per update the bot has started handling."""
    db.execute("CREATE TABLE processed_updates (update_id INTEGER PRIMARY KEY, processed_at TEXT NOT NULL)")
    db.execute("CREATE INDEX processed_updates_at ON processed_updates(processed_at)")


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


def claim(db: Database, update_id: int, now: str) -> bool:
    """Record `update_id`; False when it was already recorded (handled before)."""
    cursor = db.execute(
        "INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?)"
        " ON CONFLICT(update_id) DO NOTHING",
        (update_id, now),
    )
    return cursor.rowcount == 1


def purge(db: Database, before: str) -> int:
    """Forget ids processed before `before` (Telegram never resends updates that old)."""
    return int(db.execute("DELETE FROM processed_updates WHERE processed_at < ?", (before,)).rowcount)
