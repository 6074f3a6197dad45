"""The clinic's own installation, as the README tells a clinic to do it: `aftercare init`, edits to its own
knowledge base that count with nothing set, one database that only `init` and `run` create, backups."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config
from bot.storage import Store

ROOT = Path(__file__).resolve().parent.parent


def aftercare(*argv: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The `aftercare` command as a clinic runs it: in a folder, with only what the shell has."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
    environ.pop("TELEGRAM_BOT_TOKEN", None)
    environ.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *argv],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_following_the_readme_an_edit_counts_with_nothing_set(tmp_path: Path) -> None:
    made = aftercare("init", "clinic", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    clinic = tmp_path / "clinic"
    assert {p.name for p in clinic.iterdir()} >= {"knowledge", ".env", "aftercare.db"}
    assert stat.S_IMODE((clinic / ".env").stat().st_mode) == 0o600  # the token goes in there
    assert stat.S_IMODE((clinic / "aftercare.db").stat().st_mode) == 0o600
    before = aftercare("ask", "can i use retinol", "--procedure", "microneedling", "--day", "6", cwd=clinic)
    assert before.stdout.startswith("Yes"), before.stdout
    # The clinic waits longer for retinol: day 8 instead of day 5.
    sheet = clinic / "knowledge" / "microneedling.yaml"
    text = sheet.read_text(encoding="utf-8")
    entry = text.index("subject: retinol")
    old = "resume_day: 5"
    at = text.index(old, entry)
    sheet.write_text(text[:at] + "resume_day: 8" + text[at + len(old) :], encoding="utf-8")
    after = aftercare("ask", "can i use retinol", "--procedure", "microneedling", "--day", "6", cwd=clinic)
    assert after.stdout.startswith("Not yet") and "day 8" in after.stdout, after.stdout
    # From anywhere else, AFTERCARE_HOME names the folder.
    elsewhere = aftercare(
        "ask", "can i use retinol", "--procedure", "microneedling", "--day", "6", cwd=tmp_path,
        AFTERCARE_HOME=str(clinic),
    )  # fmt: skip
    assert elsewhere.stdout == after.stdout
    checked = aftercare("kb", "check", cwd=clinic)
    assert checked.returncode == 0
    assert (
        f"in {clinic / 'knowledge'}" in checked.stdout
        and f"database: {clinic / 'aftercare.db'}" in checked.stdout
    )


def test_enroll_in_a_folder_without_a_database_refuses_and_creates_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = aftercare(
        "enroll", "--procedure", "microneedling", "--treated-on", "2026-11-20", cwd=empty,
        AFTERCARE_BOT_USERNAME="GlowClinicBot",
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "no database at aftercare.db: looked here" in done.stderr
    assert "aftercare init" in done.stderr
    assert list(empty.iterdir()) == []


def test_init_refuses_a_folder_that_is_one_already(tmp_path: Path) -> None:
    assert _run("init", str(tmp_path / "clinic"))[0] == 0
    sheet = tmp_path / "clinic" / "knowledge" / "microneedling.yaml"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "\n# our notes\n", encoding="utf-8")
    assert _run("init", str(tmp_path / "clinic"))[0] == 2
    assert sheet.read_text(encoding="utf-8").endswith("# our notes\n")  # nothing was overwritten


def test_kb_check_says_what_the_shipped_knowledge_has_that_the_copy_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run("init", str(tmp_path / "clinic"))
    knowledge = tmp_path / "clinic" / "knowledge"
    (knowledge / "dermal_filler.yaml").unlink()  # a clinic that does not offer fillers
    monkeypatch.chdir(tmp_path / "clinic")
    code, out = _run("kb", "check")
    assert code == 0
    assert "note: the shipped knowledge base also has dermal_filler" in out


def test_the_env_file_of_the_clinic_folder_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# comment\nAFTERCARE_CLINIC_NAME=Glow Clinic\nAFTERCARE_TIMEZONE='Europe/London'\n", encoding="utf-8"
    )
    config = load_config({"AFTERCARE_TIMEZONE": "Europe/Paris"}, require_token=False, cwd=tmp_path)
    assert (config.home, config.clinic_name, config.timezone) == (tmp_path, "Glow Clinic", "Europe/Paris")
    assert config.db_path == tmp_path / "aftercare.db"
    (tmp_path / ".env").write_text("AFTERCARE_CLINIC_NAME=Glow\nthis is not a setting\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\.env:2: expected NAME=value"):
        load_config({}, require_token=False, cwd=tmp_path)


def test_backup_while_another_process_writes_is_whole_and_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "aftercare.db"
    Store.open(db, create=True).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == b"writing"
        copies = []
        for n in range(3):
            target = tmp_path / f"backup-{n}.db"
            done = aftercare("backup", str(target), cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            assert "integrity check: ok" in done.stdout
            copies.append(target)
            time.sleep(0.1)
    finally:
        writer.terminate()
        writer.wait(timeout=10)
        if writer.stdout is not None:
            writer.stdout.close()
    with sqlite3.connect(db) as conn:
        live = dict(conn.execute("SELECT key, value FROM settings WHERE key LIKE 'k%'").fetchall())
    conn.close()
    for copy in copies:
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            rows = dict(conn.execute("SELECT key, value FROM settings WHERE key LIKE 'k%'").fetchall())
        conn.close()
        numbers = sorted(int(v) for v in rows.values())
        assert numbers and numbers == list(range(len(numbers)))  # a snapshot: every row up to the last one
        assert all(live[k] == v for k, v in rows.items())  # the same rows as the database


WRITER = """
import sys, itertools
from bot.storage import Store, settings
store = Store.open(sys.argv[1])
print("writing", flush=True)
for n in itertools.count():
    store.call(settings.put, f"k{n:06d}", str(n))
"""


def test_backup_refuses_to_overwrite_the_database_and_says_where_it_looked(tmp_path: Path) -> None:
    done = aftercare("backup", str(tmp_path / "copy.db"), cwd=tmp_path)
    assert done.returncode == 2 and "no database at" in done.stderr and done.stderr.count("\n") == 1
    Store.open(tmp_path / "aftercare.db", create=True).close()
    (tmp_path / "knowledge").mkdir()  # a clinic folder
    same = aftercare("backup", "aftercare.db", cwd=tmp_path)
    assert same.returncode == 2 and "another file than the database" in same.stderr


def test_version_and_the_console_without_a_token(tmp_path: Path) -> None:
    version = aftercare("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("aftercare ")
    console = subprocess.run(
        [sys.executable, "-m", "bot.cli"],
        cwd=tmp_path,
        env={**os.environ, "TELEGRAM_BOT_TOKEN": "", "PYTHONPATH": str(ROOT)},
        input="1\ncan i wear makeup\n",
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert console.returncode == 0
    assert "no TELEGRAM_BOT_TOKEN set, so this opens the local console" in console.stderr
    assert "makeup" in console.stdout.lower()


def test_init_makes_an_empty_existing_folder_a_clinic_folder(tmp_path: Path) -> None:
    (tmp_path / "volume").mkdir()  # e.g. a mounted volume
    assert _run("init", str(tmp_path / "volume"))[0] == 0
    assert (tmp_path / "volume" / "knowledge" / "messages.yaml").is_file()
