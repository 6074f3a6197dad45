"""The Telegram adapters of check-ins and of the staff side go through the scheduler and the services: they
import no storage module and build no inline keyboard of their own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TELEGRAM = Path(__file__).resolve().parent.parent / "bot" / "telegram"


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("name", ["checkins.py", "staff.py"])
def test_the_adapter_uses_no_storage_module(name: str) -> None:
    storage = {i for i in _imported(TELEGRAM / name) if i.startswith("bot.storage")}
    assert storage <= {"bot.storage.Store"}


@pytest.mark.parametrize("name", ["checkins.py", "staff.py"])
def test_the_adapter_builds_keyboards_with_the_renderer(name: str) -> None:
    imported = _imported(TELEGRAM / name)
    assert "telegram.InlineKeyboardMarkup" not in imported and "telegram.InlineKeyboardButton" not in imported
