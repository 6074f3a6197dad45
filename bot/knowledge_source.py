"""Where the knowledge base lives, and loading it into an answering engine."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

from bot.core.answer import Clinic, Engine
from bot.core.loader import Problem
from bot.core.validate import check_folder

ENV_VAR = "AFTERCARE_KNOWLEDGE"


class KnowledgeError(Exception):
    """The knowledge base could not be used; `problems` says why, one `file:line: message` each."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def knowledge_folder(explicit: str | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """The folder to read: the explicit one, else `AFTERCARE_KNOWLEDGE`, else the one in the package."""
    if explicit:
        return Path(explicit)
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR])
    packaged = Path(__file__).resolve().parent / "knowledge"  # inside an installed wheel
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "knowledge"  # a checkout or an editable install


def load_engine(folder: Path, clinic: Clinic | None = None) -> Engine:
    """Check and load `folder`; raise `KnowledgeError` listing every problem when it is not usable."""
    kb, problems = check_folder(folder, routing=False, monotonic=time.monotonic)
    if kb is None:
        raise KnowledgeError(problems)
    return Engine(kb, clinic)
