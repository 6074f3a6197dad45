"""The dependency rules of the architecture, checked by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "bot"

# module prefix -> prefixes it must never import
FORBIDDEN = {
    "bot.core": (
        "bot.storage",
        "bot.services",
        "bot.telegram",
        "bot.cli",
        "bot.knowledge_source",
        "telegram",
        "sqlite3",
        "sqlite_utils",
        "os",
        "httpx",
    ),
    "bot.storage": ("bot.telegram", "telegram", "bot.cli"),
    "bot.services": ("bot.telegram", "telegram", "bot.cli"),
    # The adapter goes through services; only the Store type (handed over at wiring) may be named.
    "bot.telegram": tuple(
        f"bot.storage.{m}"
        for m in (
            "patients",
            "invites",
            "questions",
            "updates",
            "settings",
            "outbox",
            "alerts",
            "checkin_log",
            "reports",
        )
    ),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)  # "from pkg import module"
    return found


def _violations() -> list[str]:
    problems = []
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        for prefix, banned in FORBIDDEN.items():
            if module != prefix and not module.startswith(prefix + "."):
                continue
            for name in _imports(path):
                if any(name == b or name.startswith(b + ".") for b in banned):
                    problems.append(f"{module} imports {name}")
    return sorted(problems)


def test_no_forbidden_import_direction() -> None:
    assert _violations() == []


def test_the_walker_catches_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bot"
    (fake / "core").mkdir(parents=True)
    (fake / "core" / "bad.py").write_text("import telegram\nfrom bot.storage import Store\n")
    (fake / "telegram").mkdir()
    (fake / "telegram" / "handler.py").write_text("from bot.storage import Store, outbox\n")
    monkeypatch.setitem(globals(), "ROOT", fake)
    assert _violations() == [
        "bot.core.bad imports bot.storage",
        "bot.core.bad imports bot.storage.Store",
        "bot.core.bad imports telegram",
        "bot.telegram.handler imports bot.storage.outbox",
    ]


def test_core_has_no_environment_access() -> None:
    for path in (ROOT / "core").rglob("*.py"):
        assert "os.environ" not in path.read_text(encoding="utf-8"), path
