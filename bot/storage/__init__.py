"""The database: the only package that speaks SQL.

sqlite-utils is synchronous and its connections belong to one thread, so a `Store` owns exactly one
connection and one worker thread; every query runs there (`await store.run(fn, ...)`), which serialises
writes and keeps the event loop free. Each submodule owns its tables (it alone writes them) and its own
named migration set; `transaction` is the one way to group writes, and it nests.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
OWNER_ONLY = 0o600
WAL_ATTEMPTS = 50


class DatabaseMissing(Exception):
    """There is no database where one was expected (only `init` and `run` create it)."""


class DatabaseUnavailable(Exception):
    """The database cannot be opened (a missing folder, no permission, not an SQLite file): one line."""


def _migrations() -> list[Callable[[Database], None]]:
    # Imported here so that each submodule can import `transaction` without a cycle.
    from bot.storage import (
        alerts,
        checkin_log,
        handoffs,
        invites,
        outbox,
        patients,
        questions,
        settings,
        setups,
        staff_events,
        updates,
    )

    return [
        patients.migrate,
        invites.migrate,
        questions.migrate,
        updates.migrate,
        settings.migrate,
        outbox.migrate,
        checkin_log.migrate,
        staff_events.migrate,
        alerts.migrate,
        handoffs.migrate,
        setups.migrate,
    ]


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """All writes inside commit together or not at all. The outermost level takes the write lock at once
    (BEGIN IMMEDIATE, so another process waits instead of failing halfway); inner levels are savepoints,
    so a use case can call storage functions that group their own writes."""
    conn = db.conn
    if conn.in_transaction:
        name = f"sp_{secrets.token_hex(6)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def create_owner_only(path: Path) -> None:
    """Create `path` (if missing) readable and writable by its owner only; SQLite's `-wal` and `-shm`
    files then take the same mode."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, OWNER_ONLY)
    os.close(fd)


class Store:
    """One SQLite database, one connection, one worker thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aftercare-db")
        try:
            self.db: Database = self._executor.submit(self._connect).result()
        except BaseException:
            self._executor.shutdown(wait=False)
            raise

    def _connect(self) -> Database:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db = Database(conn)
        if self.path != ":memory:":
            _enable_wal(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows (a patient after /forget) are overwritten, not left readable in free pages.
        conn.execute("PRAGMA secure_delete=ON")
        return db

    @classmethod
    def open(cls, path: str | Path, create: bool = False) -> Store:
        """Open and migrate the database at `path`; with `create`, make it first (owner-only) when it does
        not exist, else DatabaseMissing. DatabaseUnavailable, in one line, when it cannot be used."""
        try:
            if str(path) != ":memory:":
                target = Path(path)
                if not target.exists():
                    if not create:
                        raise DatabaseMissing(str(path))
                    create_owner_only(target)
            store = cls(path)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise DatabaseUnavailable(f"cannot open the database {path}: {_reason(exc)}") from None
        try:
            store.call(migrate)
        except (OSError, sqlite3.DatabaseError) as exc:
            store.close()
            raise DatabaseUnavailable(f"cannot open the database {path}: {_reason(exc)}") from None
        except BaseException:
            store.close()
            raise
        return store

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run `fn(db, *args)` on the database thread without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(self.db, *args))

    def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run `fn(db, *args)` on the database thread and wait (for the CLI and start-up)."""
        return self._executor.submit(lambda: fn(self.db, *args)).result()

    def close(self) -> None:
        """Close the connection and stop the worker thread."""
        try:
            self._executor.submit(self.db.conn.close).result()
        finally:
            self._executor.shutdown(wait=True)


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. Several processes opening a brand-new file at once can see "database is locked" here
    even with a busy timeout (the switch itself is not covered), so it is retried for a while."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (1 + attempt % 5))


def migrate(db: Database) -> None:
    """Apply every module's pending migrations under one write lock: a second process opening the same new
    database waits, then finds nothing left to do (each step is also written to be idempotent)."""
    with transaction(db):
        for step in _migrations():
            step(db)


def checkpoint(db: Database) -> None:
    """Move the write-ahead log into the database file and empty it (after /forget or a purge, so that
    deleted words do not linger in the `-wal` file)."""
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


__all__ = [
    "Database",
    "DatabaseMissing",
    "DatabaseUnavailable",
    "Store",
    "checkpoint",
    "create_owner_only",
    "transaction",
]
