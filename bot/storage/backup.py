"""A consistent copy of the database while the bot runs: SQLite's online backup (a plain file copy of a
database in WAL mode can miss what is still in the -wal file), checked, written owner-only."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.storage import BUSY_TIMEOUT_MS, OWNER_ONLY, DatabaseMissing, DatabaseUnavailable


@dataclass(frozen=True)
class Backup:
    """What was written: the file, its size, and the rows of each table."""

    path: Path
    size: int
    rows: dict[str, int]


class BackupFailed(Exception):
    """The copy could not be made or did not pass SQLite's integrity check (nothing is left behind)."""


def backup(source: Path, target: Path) -> Backup:
    """Copy the database at `source` to `target` (replaced only when the copy is whole and checked)."""
    if not source.exists():
        raise DatabaseMissing(str(source))
    partial = target.with_name(f".{target.name}.partial")
    try:
        fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, OWNER_ONLY)
        os.close(fd)
        os.chmod(partial, OWNER_ONLY)  # an older file of that name may have had another mode
    except OSError as exc:
        raise BackupFailed(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        try:
            live = sqlite3.connect(source)  # only read (read-only mode cannot always see a WAL database)
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(f"cannot open the database {source}: {exc}") from None
        copy = sqlite3.connect(partial)
        try:
            live.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            live.backup(copy)  # in one step: a consistent snapshot even while the bot writes
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupFailed(f"the copy failed SQLite's integrity check: {verdict}")
            tables = [r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            rows = {t: int(copy.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in sorted(tables)}
        finally:
            copy.close()
            live.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupFailed(f"cannot copy the database {source}: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Backup(target, target.stat().st_size, rows)
