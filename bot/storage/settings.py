"""Small key/value settings the bot keeps for itself (its username, the check-in settings it planned with)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("aftercare.settings")

LINK_SECRET = "link_secret"
"""Where versions before the secret file kept it (moved out on first use)."""
BOT_USERNAME = "bot_username"


@migrations()
def m001_settings(db: Database) -> None:
    """A key/value table."""
    db.execute("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


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


def delete(db: Database, key: str) -> None:
    """Forget `key`."""
    db.execute("DELETE FROM settings WHERE key = ?", (key,))
