"""The generated link secret: kept beside the database in an owner-only file, never inside the database (so
a copy of the database, a backup, or a local user who can read it cannot forge enrollment links)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlite_utils import Database

from bot.storage import settings
from bot.storage.lock import OWNER_ONLY


def secret_path(db_path: Path) -> Path:
    """Where the generated secret of the database at `db_path` lives."""
    return Path(f"{db_path}.secret")


def link_secret(db: Database, db_path: Path) -> bytes:
    """The generated link secret, made once on first use (owner-only). A secret an older version kept in the
    database moves to the file, so links already handed out stay valid."""
    path = secret_path(db_path)
    old = settings.get(db, settings.LINK_SECRET)
    if not path.exists():
        value = old or secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
        except FileExistsError:  # another process made it just now: use theirs
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(value)
    if old is not None:
        settings.delete(db, settings.LINK_SECRET)
    return path.read_text(encoding="ascii").strip().encode("ascii")
