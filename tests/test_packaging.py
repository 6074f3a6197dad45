"""The knowledge base ships inside the wheel; an installed package reads its own copy, a checkout its own."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import bot.services.knowledge as knowledge

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
    package = tmp_path / "site-packages" / "bot" / "knowledge"
    package.mkdir(parents=True)
    monkeypatch.setattr(knowledge, "SHIPPED", package)
    assert knowledge.shipped_folder() == package


def test_checkout_layout_falls_back_to_the_top_level_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(knowledge, "SHIPPED", tmp_path / "not-installed")
    assert knowledge.shipped_folder() == ROOT / "knowledge"
