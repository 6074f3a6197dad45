"""Set-up in progress: someone without a link told us their procedure (and variant) and we wait for the date.
Kept in the database, so a restart does not make them start over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.storage.stamps import iso, parse_iso

migrations = Migrations("aftercare.setups")


@migrations()
def m001_setups(db: Database) -> None:
    """One row per chat in set-up."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS setups (chat_id INTEGER PRIMARY KEY, procedure TEXT NOT NULL,"
        " variant TEXT, updated_at TEXT NOT NULL)"
    )


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


@dataclass(frozen=True)
class Setup:
    """What someone in set-up has chosen so far."""

    chat_id: int
    procedure: str
    variant: str | None
    updated_at: datetime


def get(db: Database, chat_id: int) -> Setup | None:
    """The set-up of `chat_id`, if one is in progress."""
    r = db.conn.execute(
        "SELECT chat_id, procedure, variant, updated_at FROM setups WHERE chat_id = ?", (chat_id,)
    ).fetchone()
    return Setup(int(r[0]), str(r[1]), r[2], parse_iso(str(r[3]))) if r else None


def put(db: Database, chat_id: int, procedure: str, variant: str | None, now: datetime) -> None:
    """Remember the procedure (and variant) chosen by `chat_id`."""
    db.conn.execute(
        "INSERT INTO setups (chat_id, procedure, variant, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(chat_id) DO UPDATE SET procedure = excluded.procedure, variant = excluded.variant,"
        " updated_at = excluded.updated_at",
        (chat_id, procedure, variant, iso(now)),
    )


def clear(db: Database, chat_id: int) -> int:
    """Set-up is over (done, or /forget)."""
    return int(db.conn.execute("DELETE FROM setups WHERE chat_id = ?", (chat_id,)).rowcount)


def purge(db: Database, before: datetime) -> int:
    """Retention: forget set-ups abandoned before `before`."""
    return int(db.conn.execute("DELETE FROM setups WHERE updated_at < ?", (iso(before),)).rowcount)
