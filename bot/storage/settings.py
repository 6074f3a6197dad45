"""Small key/value settings the bot keeps for itself (the generated link secret, the bot's username)."""

from __future__ import annotations

import secrets

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("aftercare.settings")

LINK_SECRET = "link_secret"
BOT_USERNAME = "bot_username"


@migrations()
def m001_settings(db: Database) -> None:
    """A key/value table."""
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


def get(db: Database, key: str) -> str | None:
    """The value of `key`, if set."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def put(db: Database, key: str, value: str) -> None:
    """Set `key` to `value`."""
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def link_secret(db: Database) -> str:
    """The generated link secret: made once, on first use, and kept."""
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
        (LINK_SECRET, secrets.token_hex(32)),
    )
    value = get(db, LINK_SECRET)
    assert value is not None
    return value
