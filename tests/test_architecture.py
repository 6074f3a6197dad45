"""The layers, checked by walking every module's imports: core is pure, storage is the only SQL, services
are the only door, the Telegram adapter only translates; the top of `bot/` holds the command line and the
configuration."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "bot"

# A module belongs to the first layer whose prefix it has; it must import none of the layer's forbidden names
# (a name or anything under it).
LAYERS: dict[str, tuple[str, ...]] = {
    "bot.core": (
        "bot.storage", "bot.services", "bot.telegram", "bot.cli", "bot.config",
        "os", "time", "sqlite3", "sqlite_utils", "telegram", "httpx", "asyncio",
    ),
    "bot.storage": ("bot.services", "bot.telegram", "bot.cli", "telegram", "httpx"),
    "bot.services": ("bot.telegram", "bot.cli", "telegram", "httpx"),
    "bot.telegram": ("bot.storage", "bot.cli", "sqlite3", "sqlite_utils"),
    "bot.config": ("bot.storage", "bot.services", "bot.telegram", "bot.cli", "telegram", "os"),
    "bot.cli": (),
    "bot.__main__": (),
    "bot": (),
}  # fmt: skip


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


def _layer(module: str) -> str | None:
    for prefix in LAYERS:
        if prefix != "bot" and (module == prefix or module.startswith(prefix + ".")):
            return prefix
    return "bot" if module == "bot" else None


def _violations(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        module = ".".join(("bot", *parts)).removesuffix(".__init__")
        layer = _layer(module)
        if layer is None:
            problems.append(f"{module} belongs to no layer")
            continue
        for name in sorted(_imports(path)):
            if any(name == banned or name.startswith(banned + ".") for banned in LAYERS[layer]):
                problems.append(f"{module} imports {name}")
    return problems


def test_every_module_keeps_to_its_layer() -> None:
    assert _violations(ROOT) == []


def test_only_the_command_line_and_configuration_sit_at_the_top() -> None:
    loose = {p.stem for p in ROOT.glob("*.py")} - {"__init__", "__main__", "cli", "config"}
    assert loose == set()
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == {"core", "storage", "services", "telegram"}


@pytest.mark.parametrize(
    ("module", "source", "problem"),
    [
        ("core/bad.py", "import os\n", "bot.core.bad imports os"),
        ("core/bad.py", "from bot.storage import Store\n", "bot.core.bad imports bot.storage"),
        ("storage/bad.py", "from bot.services import Services\n", "bot.storage.bad imports bot.services"),
        ("services/bad.py", "from telegram import Bot\n", "bot.services.bad imports telegram"),
        ("telegram/bad.py", "from bot.storage import outbox\n", "bot.telegram.bad imports bot.storage"),
        ("elsewhere/bad.py", "x = 1\n", "bot.elsewhere.bad belongs to no layer"),
    ],
)
def test_the_walker_catches_each_kind_of_violation(
    tmp_path: Path, module: str, source: str, problem: str
) -> None:
    fake = tmp_path / "bot"
    target = fake / module
    target.parent.mkdir(parents=True)
    target.write_text(source)
    assert problem in _violations(fake)


def test_no_procedure_is_named_in_python() -> None:
    # A procedure is a YAML file: the code knows none of them by name (the shipped ones included).
    names = {p.stem for p in (ROOT.parent / "knowledge").glob("*.yaml")} - {"messages", "language"}
    assert names
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        for name in names:
            assert name.replace("_", " ") not in text and name not in text, (path, name)
