"""The database: the only package that speaks SQL.

sqlite-utils is synchronous and its connections belong to one thread, so a `Store` owns exactly one
connection and one worker thread; every query runs there (`await store.run(fn, ...)`), which serialises writes
and keeps the event loop free. Each submodule owns its tables and its own named migration set.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ParamSpec, TypeVar

import sqlite_utils
from sqlite_utils import Database

T = TypeVar("T")
P = ParamSpec("P")

BUSY_TIMEOUT_MS = 5000


def _migration_modules() -> list[Callable[[Database], None]]:
    # Imported here so that each submodule can import `Store` for type hints without a cycle.
    from bot.storage import alerts, checkin_log, invites, outbox, patients, questions, settings, updates

    modules: list[Callable[[Database], None]] = [
        patients.migrate,
        invites.migrate,
        questions.migrate,
        updates.migrate,
        settings.migrate,
        outbox.migrate,
        checkin_log.migrate,
        alerts.migrate,
    ]
    return modules


class Store:
    """One SQLite database, one connection, one worker thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aftercare-db")
        self.db: Database = self._executor.submit(self._connect).result()

    def _connect(self) -> Database:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db = Database(conn)
        if self.path != ":memory:":
            db.enable_wal()
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating if needed) and migrate the database at `path`."""
        store = cls(path)
        store.call(store._migrate)
        return store

    def _migrate(self, db: Database) -> None:
        for migrate in _migration_modules():
            migrate(db)

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


__all__ = ["Database", "Store", "sqlite_utils"]
