"""Reloading the knowledge base while the bot runs: notice edits, validate, swap or keep the old one."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.answer import Clinic, Engine
from bot.knowledge_source import KnowledgeError, load_engine
from bot.services.base import EngineHolder

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int, str], ...]


def fingerprint(folder: Path) -> Fingerprint:
    """Name, size, mtime and content hash of every YAML file in `folder` (an edit changes it)."""
    found = []
    for path in sorted(folder.glob("*.y*ml")):
        try:
            stat = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
        found.append((path.name, stat.st_size, stat.st_mtime_ns, digest))
    return tuple(found)


@dataclass(frozen=True)
class Reload:
    """The outcome of one reload: loaded, or refused with the problems (`file:line: message`)."""

    loaded: bool
    problems: tuple[str, ...] = ()


@dataclass
class KnowledgeWatcher:
    """Remembers the files in use; `reload_if_changed` loads an edited folder and swaps the engine when it
    is valid. A refused version is remembered, so it is reported once, not at every look."""

    folder: Path
    clinic: Clinic
    holder: EngineHolder
    _seen: Fingerprint = field(default=(), init=False)

    def __post_init__(self) -> None:
        self._seen = fingerprint(self.folder)

    def load(self, force: bool = False) -> tuple[Engine | None, Reload | None]:
        """Load the folder if it changed (or `force`): the new engine, or the problems; (None, None) if
        unchanged. Runs in a worker thread (it is slow); the swap happens in `apply`."""
        current = fingerprint(self.folder)
        if current == self._seen and not force:
            return None, None
        self._seen = current
        try:
            engine = load_engine(self.folder, self.clinic)
        except KnowledgeError as exc:
            return None, Reload(False, tuple(str(p) for p in exc.problems))
        except OSError as exc:
            return None, Reload(False, (f"{self.folder}: {exc.strerror or exc}",))
        return engine, Reload(True)

    def apply(self, engine: Engine | None, result: Reload | None) -> Reload | None:
        """Swap in a loaded engine (one assignment) and log the outcome."""
        if result is None:
            return None
        if engine is not None:
            self.holder.swap(engine)
            log.info("knowledge base reloaded from %s", self.folder)
        else:
            log.warning("knowledge base edit refused, the previous version stays in use:")
            for problem in result.problems:
                log.warning("  %s", problem)
        return result
