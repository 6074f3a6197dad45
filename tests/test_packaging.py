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


def _dockerfile() -> dict[str, str]:
    """The Dockerfile's ENV, USER and VOLUME, as a deployment must match them."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, str] = {}
    for line in text.splitlines():
        word, _, rest = line.strip().partition(" ")
        if word == "ENV":
            found.update(part.split("=", 1) for part in rest.split() if "=" in part)
        elif word in ("USER", "VOLUME", "CMD"):
            found[word] = rest.strip()
    return found


def test_the_compose_file_matches_the_dockerfile() -> None:
    import yaml

    docker = _dockerfile()
    [service] = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))[
        "services"
    ].values()
    home = docker["AFTERCARE_HOME"]
    assert docker["VOLUME"] == f'["{home}"]'
    assert service["environment"]["AFTERCARE_HOME"] == home
    assert any(v.split(":")[1].split()[0] == home for v in service["volumes"])  # the clinic folder is mounted
    assert service["user"].split(":")[0] == docker["USER"]
    assert service["restart"] in ("unless-stopped", "always", "on-failure")
    assert "env_file" not in service  # the bot reads the clinic folder's .env itself


def test_the_systemd_unit_runs_the_bot_in_its_clinic_folder() -> None:
    unit = (ROOT / "deploy" / "aftercare.service").read_text(encoding="utf-8")
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    home = settings["WorkingDirectory"]
    assert settings["Environment"] == f"AFTERCARE_HOME={home}"
    assert settings["ExecStart"].endswith("aftercare run")
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"  # a reload of the knowledge base
    assert settings["Restart"] == "on-failure" and settings["RestartPreventExitStatus"] == "2"
    assert settings["ReadWritePaths"] == home and settings["UMask"] == "0077"


def test_the_example_env_file_has_no_quotes_docker_would_keep() -> None:
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            value = line.split("=", 1)[1]
            assert not value.startswith(("'", '"')), line
