"""The knowledge base in use: where it lives, loading and checking it, and reloading it while the bot runs
(a valid edit is swapped in at once; an edit that fails the checks is refused and the last good one stays).
This is the one answer to "which knowledge base is current"."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.answer import Clinic, Engine
from bot.core.loader import Problem
from bot.core.model import KnowledgeBase
from bot.core.validate import check_folder

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int, str], ...]
SHIPPED = Path(__file__).resolve().parent.parent / "knowledge"
"""The knowledge base inside an installed package."""
CHECKOUT = Path(__file__).resolve().parent.parent.parent / "knowledge"
"""The knowledge base of a checkout (or an editable install)."""


class KnowledgeError(Exception):
    """The knowledge base could not be used; `problems` says why, one `file:line: message` each."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def shipped_folder() -> Path:
    """The knowledge base that comes with the package."""
    return SHIPPED if SHIPPED.is_dir() else CHECKOUT


def check(folder: Path, routing: bool = True) -> tuple[KnowledgeBase | None, list[Problem]]:
    """`aftercare kb check`: every problem of `folder`; the knowledge base only when there is none."""
    return check_folder(folder, routing=routing, monotonic=time.monotonic)


def news_since_copy(kb: KnowledgeBase, shipped: Path) -> list[str]:
    """What the shipped knowledge base has that the clinic's copy `kb` lacks (after an upgrade): whole
    procedures, and entries of the procedures the clinic has. One line each, for `kb check`."""
    theirs, _ = check(shipped, routing=False)
    if theirs is None:
        return []
    lines = []
    missing = sorted(set(theirs.procedures) - set(kb.procedures))
    if missing:
        lines.append(f"the shipped knowledge base also has {', '.join(missing)} (copy the file to offer it)")
    for pid, procedure in sorted(kb.procedures.items()):
        shipped_one = theirs.procedures.get(pid)
        if shipped_one is None:
            continue
        mine = {e.id for e in procedure.entries}
        new = [e.id for e in shipped_one.entries if e.id not in mine]
        if new:
            lines.append(f"{pid}: the shipped version has entries your copy lacks: {', '.join(new)}")
    return lines


def load_engine(folder: Path, clinic: Clinic | None = None) -> Engine:
    """Check and load `folder`; KnowledgeError listing every problem when it is not usable."""
    kb, problems = check(folder, routing=False)
    if kb is None:
        raise KnowledgeError(problems)
    return Engine(kb, clinic)


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
class Knowledge:
    """The engine in use over `folder`. A reload swaps it in one assignment, so every reader sees the old or
    the new one; readers take `engine` afresh for each use."""

    folder: Path
    clinic: Clinic
    engine: Engine
    _seen: Fingerprint = field(default=(), init=False)

    def __post_init__(self) -> None:
        self._seen = fingerprint(self.folder)

    @classmethod
    def load(cls, folder: Path, clinic: Clinic) -> Knowledge:
        """Load `folder` (KnowledgeError when it is not usable)."""
        return cls(folder, clinic, load_engine(folder, clinic))

    def reload(self, force: bool = False) -> Reload | None:
        """Load the folder again if its files changed (or `force`) and swap the engine when it is valid;
        None when nothing changed. A refused version is remembered, so it is reported once, not at every
        look. Slow: run it in a worker thread."""
        current = fingerprint(self.folder)
        if current == self._seen and not force:
            return None
        self._seen = current
        try:
            engine = load_engine(self.folder, self.clinic)
        except KnowledgeError as exc:
            log.warning("knowledge base edit refused, the previous version stays in use:")
            for problem in exc.problems:
                log.warning("  %s", problem)
            return Reload(False, tuple(str(p) for p in exc.problems))
        except OSError as exc:
            return Reload(False, (f"{self.folder}: {exc.strerror or exc}",))
        self.engine = engine
        log.info("knowledge base reloaded from %s", self.folder)
        return Reload(True)


def suggestions(folder: Path, rows: list[tuple[str, str]]) -> list[str]:
    """`aftercare kb suggest`: for each group of unanswered questions (procedure, text), a YAML snippet to
    paste (new examples for the closest entry, or a stub for a new one)."""
    from bot.core.grouping import group_questions
    from bot.core.loader import load_folder
    from bot.core.suggest import snippet, suggest

    result = load_folder(folder, time.monotonic)
    if result.kb is None:
        raise KnowledgeError(result.problems)
    documents = []
    for procedure in sorted(result.kb.procedures.values(), key=lambda p: p.id):
        texts = (text for pid, text in rows if pid == procedure.id)
        groups = group_questions(texts, stopwords=result.kb.language.stopwords)
        documents += [snippet(s) for s in suggest(result, procedure, groups)]
    return documents
