"""Telegram updates: those received but not handled yet (the inbox), and the ids of those handled.

An update is written to the inbox as it arrives, before Telegram is told it was received, and leaves the
inbox in the same transaction that records its outcome. A crash in between leaves it in the inbox, so it is
handled after a restart: nothing a patient sends is lost. The id of a handled update is kept for a week, so
an update Telegram delivers again is never answered twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("aftercare.updates")


@migrations()
def m001_processed_updates(db: Database) -> None:
    """One row per update the bot has handled."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS processed_updates"
        " (update_id INTEGER PRIMARY KEY, processed_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS processed_updates_at ON processed_updates(processed_at)")


@migrations()
def m002_inbox(db: Database) -> None:
    """Updates received and not handled yet, as Telegram sent them (deleted once handled)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS inbox (update_id INTEGER PRIMARY KEY, chat_id INTEGER,"
        " received_at TEXT NOT NULL, raw TEXT NOT NULL)"
    )


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


@dataclass(frozen=True)
class Received:
    """An update waiting in the inbox."""

    update_id: int
    chat_id: int | None
    raw: str


def receive(db: Database, items: list[Received], now: str) -> int:
    """Put arriving updates in the inbox (skipping those handled or already there); how many were new."""
    added = 0
    for item in items:
        cursor = db.execute(
            "INSERT INTO inbox (update_id, chat_id, received_at, raw) SELECT ?, ?, ?, ? WHERE NOT EXISTS"
            " (SELECT 1 FROM processed_updates WHERE update_id = ?) ON CONFLICT DO NOTHING",
            (item.update_id, item.chat_id, now, item.raw, item.update_id),
        )
        added += cursor.rowcount
    return added


def claim(db: Database, update_id: int, now: str) -> bool:
    """Record `update_id` as handled and take it out of the inbox; False when it was handled before."""
    cursor = db.execute(
        "INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?)"
        " ON CONFLICT(update_id) DO NOTHING",
        (update_id, now),
    )
    db.execute("DELETE FROM inbox WHERE update_id = ?", (update_id,))
    return cursor.rowcount == 1


def waiting(db: Database) -> list[Received]:
    """Updates received but never handled (a crash came in between), oldest first."""
    rows = db.execute("SELECT update_id, chat_id, raw FROM inbox ORDER BY update_id").fetchall()
    return [Received(int(r[0]), r[1], str(r[2])) for r in rows]


def purge(db: Database, before: str) -> int:
    """Forget ids processed before `before` (Telegram never resends updates that old)."""
    return int(db.execute("DELETE FROM processed_updates WHERE processed_at < ?", (before,)).rowcount)


def forget_chat(db: Database, chat_id: int) -> int:
    """/forget: drop the chat's updates still waiting in the inbox (they hold its words)."""
    return int(db.execute("DELETE FROM inbox WHERE chat_id = ?", (chat_id,)).rowcount)
