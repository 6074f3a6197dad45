"""`aftercare init`: a clinic folder the clinic owns. Its knowledge/ is a copy of the shipped knowledge base
to edit, its .env is written from the settings table, and its database is made at once; upgrading the
package never touches it."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.config import ENV_FILE, KNOWLEDGE_FOLDER, env_example, is_clinic_folder
from bot.storage import OWNER_ONLY, Store
from bot.storage.secret import link_secret

DATABASE = "aftercare.db"


class FolderRefused(Exception):
    """The folder cannot be made into a clinic folder (one already, or not writable): one line."""


@dataclass(frozen=True)
class ClinicFolder:
    """What `init` made."""

    folder: Path
    knowledge: Path
    env: Path
    database: Path
    files: tuple[str, ...]


def make_clinic_folder(folder: Path, shipped: Path) -> ClinicFolder:
    """Make `folder` a clinic folder: knowledge/ copied from `shipped`, a commented .env, the database."""
    if folder.exists() and not folder.is_dir():
        raise FolderRefused(f"{folder} is a file, not a folder")
    if folder.is_dir() and is_clinic_folder(folder):
        already = "it has .env or knowledge/"
        raise FolderRefused(f"{folder} is a clinic folder already ({already}): nothing changed")
    knowledge, env, database = folder / KNOWLEDGE_FOLDER, folder / ENV_FILE, folder / DATABASE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copytree(shipped, knowledge, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))
        fd = os.open(env, os.O_CREAT | os.O_EXCL | os.O_WRONLY, OWNER_ONLY)  # the token will be written in it
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(env_example(clinic_folder=True))
    except OSError as exc:
        raise FolderRefused(f"cannot write in {folder}: {exc.strerror or exc}") from None
    store = Store.open(database, create=True)
    try:
        store.call(link_secret, database)
    finally:
        store.close()
    files = tuple(sorted(p.name for p in knowledge.iterdir() if p.is_file()))
    return ClinicFolder(folder, knowledge, env, database, files)
