"""The knowledge base ships inside the wheel, and AFTERCARE_KNOWLEDGE overrides where it is read from."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.knowledge_source import ENV_VAR, knowledge_folder

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_the_knowledge_base(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            ".",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("aftercare-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"bot/knowledge/{p.name}" for p in (ROOT / "knowledge").glob("*.yaml")}
    assert expected and expected <= names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_layout_prefers_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.knowledge_source as source

    package = tmp_path / "site-packages" / "bot"
    (package / "knowledge").mkdir(parents=True)
    monkeypatch.setattr(source, "__file__", str(package / "knowledge_source.py"))
    assert knowledge_folder(environ={}) == package / "knowledge"


def test_checkout_layout_falls_back_to_the_top_level_folder() -> None:
    assert knowledge_folder(environ={}) == ROOT / "knowledge"


def test_environment_variable_and_explicit_folder_override(tmp_path: Path) -> None:
    assert knowledge_folder(environ={ENV_VAR: str(tmp_path)}) == tmp_path
    assert knowledge_folder(str(tmp_path / "x"), environ={ENV_VAR: str(tmp_path)}) == tmp_path / "x"
