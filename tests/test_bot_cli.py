"""`aftercare enroll` and `aftercare run` as a clinic uses them (the bot in a real subprocess)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.cli import main
from bot.core.invite_token import verify
from bot.storage import Store
from tests.fakebotapi import FakeBotAPI
from tests.running_bot import Running

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("AFTERCARE_") or name == "TELEGRAM_BOT_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AFTERCARE_DB", str(tmp_path / "clinic.db"))
    monkeypatch.setenv("AFTERCARE_LINK_SECRET", "front-desk-secret")
    Store.open(tmp_path / "clinic.db", create=True).close()  # as `aftercare init` made it
    return tmp_path


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, out=out), out.getvalue()


def test_enroll_prints_a_signed_link_first(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCARE_BOT_USERNAME", "GlowClinicBot")
    qr = env / "link.png"
    code, out = _run(
        ["enroll", "--procedure", "microneedling", "--treated-on", _days_ago(2), "--qr", str(qr)]
    )
    assert code == 0
    link = out.splitlines()[0]
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "t.me", "/GlowClinicBot")
    [payload] = parse_qs(parts.query)["start"]
    assert len(payload) <= 64 and payload.replace("-", "").replace("_", "").isalnum()
    assert verify(payload, b"front-desk-secret") is not None
    assert "microneedling" not in payload
    assert qr.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert _qr_modules(qr) == _expected_modules(link)  # the picture is exactly the QR code of the link


def _expected_modules(text: str) -> list[list[bool]]:
    import qrcode

    code = qrcode.QRCode()
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _qr_modules(path: Path) -> list[list[bool]]:
    """Read the dark/light modules back from the PNG (10 pixels per module, as qrcode draws them)."""
    from PIL import Image

    with Image.open(path) as image:
        gray = image.convert("L")
        size = gray.width // 10
        return [[gray.getpixel((x * 10 + 5, y * 10 + 5)) < 128 for x in range(size)] for y in range(size)]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--treated-on", "2099-01-01"], "in the future"),
        (["--treated-on", "2020-01-01"], "more than a year ago"),
        (["--treated-on", "yesterday"], "is not a date"),
        (["--tz", "Nowhere/Special"], "unknown time zone"),
        (["--procedure", "botox"], "unknown procedure"),
    ],
)
def test_enroll_refuses_bad_arguments(
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("AFTERCARE_BOT_USERNAME", "GlowClinicBot")
    base = ["enroll", "--procedure", "microneedling", "--treated-on", _days_ago(1)]
    with pytest.raises(SystemExit) if "yesterday" in argv else _nothing():
        code, _ = _run([*base, *argv])
        assert code == 2
    assert message in capsys.readouterr().err


def test_enroll_asks_the_bot_api_for_the_username(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeBotAPI(bot_username="AskedBot") as server:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", server.token)
        monkeypatch.setenv("AFTERCARE_API_URL", server.base_url)
        code, out = _run(["enroll", "--procedure", "microneedling", "--treated-on", _days_ago(0)])
        assert [c.method for c in server.requests] == ["getMe"]
    assert code == 0 and out.startswith("https://t.me/AskedBot?start=")


def test_enroll_without_username_or_token_says_what_to_set(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(["enroll", "--procedure", "microneedling", "--treated-on", _days_ago(0)])
    assert code == 2 and out == ""
    assert "AFTERCARE_BOT_USERNAME" in capsys.readouterr().err


def test_run_without_a_token_exits_2_with_one_line(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _run(["run"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "TELEGRAM_BOT_TOKEN" in err


def test_aftercare_without_a_command_runs_the_bot_when_a_token_is_set(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token")
    code, _ = _run([])
    assert code == 2 and "TELEGRAM_BOT_TOKEN is malformed" in capsys.readouterr().err


@pytest.fixture
def bot_env(tmp_path: Path) -> Iterator[tuple[FakeBotAPI, dict[str, str]]]:
    with FakeBotAPI() as server:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
        environ.update(
            TELEGRAM_BOT_TOKEN=server.token,
            AFTERCARE_API_URL=server.base_url,
            AFTERCARE_DB=str(tmp_path / "bot.db"),
            AFTERCARE_CLINIC_NAME="Glow Clinic",
            PYTHONPATH=str(ROOT),
        )
        yield server, environ


def test_run_serves_refuses_a_second_instance_and_stops_on_sigterm(
    bot_env: tuple[FakeBotAPI, dict[str, str]],
) -> None:
    server, environ = bot_env
    first = Running(environ)
    try:
        ready = first.wait_for("ready")
        assert "@AftercareTestBot" in ready
        assert {c["command"] for c in server.commands()} >= {"start", "forget"}

        second = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1
        assert "already running" in second.stderr

        server.push_text(77, "/start")
        server.wait_for_messages(77, 1, timeout=10)
        server.push_text(77, "my private question about my skin")
        server.wait_for_messages(77, 2, timeout=10)

        first.proc.send_signal(signal.SIGTERM)
        assert first.proc.wait(timeout=15) == 0
    finally:
        first.close()
    log = "".join(first.lines)
    assert "stopped" in log
    assert "apscheduler" not in log  # no INFO line per job run (a poll runs every second)
    assert server.token.split(":")[1] not in log
    assert "private question" not in log


def _run_bot(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_with_a_refused_token_says_so_in_one_line(tmp_path: Path) -> None:
    token = "424242:AAHrevokedTokenRevokedTokenRevoked_x"  # well formed, but not the server's
    with FakeBotAPI() as server:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
        environ.update(
            TELEGRAM_BOT_TOKEN=token,
            AFTERCARE_API_URL=server.base_url,
            AFTERCARE_DB=str(tmp_path / "bot.db"),
            PYTHONPATH=str(ROOT),
        )
        done = _run_bot(environ)
        assert [c.status for c in server.requests] == [401]
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "aftercare: Telegram refused the bot token (check TELEGRAM_BOT_TOKEN)"
    )
    assert "Traceback" not in done.stderr and token.split(":")[1] not in done.stderr + done.stdout


def _free_port() -> int:
    import socket

    with socket.socket() as probe:  # a port nobody listens on (yet)
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environ(tmp_path: Path, api_url: str, token: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
    environ.update(
        TELEGRAM_BOT_TOKEN=token,
        AFTERCARE_API_URL=api_url,
        AFTERCARE_DB=str(tmp_path / "bot.db"),
        PYTHONPATH=str(ROOT),
    )
    return environ


def test_a_network_that_is_down_at_start_is_waited_for(tmp_path: Path) -> None:
    port = _free_port()
    server = FakeBotAPI()
    running = Running(_environ(tmp_path, f"http://127.0.0.1:{port}/bot", server.token))
    try:
        first = running.wait_for("trying again in")
        assert f"cannot reach the Bot API at http://127.0.0.1:{port}/bot (" in first
        running.wait_for("trying again in 2 s")  # backing off
        server.start(port)  # the network comes up
        running.wait_for("ready", timeout=30)
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(timeout=15) == 0
    finally:
        server.stop()
        running.close()
    log = "".join(running.lines)
    assert "Traceback" not in log and server.token.split(":")[1] not in log


def test_sigterm_while_waiting_for_the_network_stops_at_once(tmp_path: Path) -> None:
    token = "424242:AAHnetworkDownNetworkDownNetwork_x"
    running = Running(_environ(tmp_path, f"http://127.0.0.1:{_free_port()}/bot", token))
    try:
        running.wait_for("trying again in")
        running.proc.send_signal(signal.SIGHUP)  # a reload asked for before the bot is up: no harm
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(timeout=10) == 0
    finally:
        running.close()


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("json404", "answered 404 Not Found: check AFTERCARE_API_URL"),
        ("html404", "does not answer like a Telegram Bot API; check AFTERCARE_API_URL"),
        ("html200", "does not answer like a Telegram Bot API; check AFTERCARE_API_URL"),
    ],
)
def test_a_wrong_api_url_is_not_called_a_refused_token(tmp_path: Path, answer: str, expected: str) -> None:
    import http.server

    class NotTheBotApi(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            status = 200 if answer == "html200" else 404
            body = (
                b'{"ok":false,"error_code":404,"description":"Not Found"}'
                if answer == "json404"
                else b"<html><body>Cannot POST " + self.path.encode() + b"</body></html>"
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if answer == "json404" else "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    token = "424242:AAHwrongUrlWrongUrlWrongUrlWrong_x"
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotTheBotApi)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        done = _run_bot(_environ(tmp_path, f"http://127.0.0.1:{httpd.server_address[1]}/bot", token))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr
    assert "refused the bot token" not in done.stderr
    assert "Traceback" not in done.stderr and token.split(":")[1] not in done.stderr + done.stdout


def test_run_with_an_empty_token_is_an_error(tmp_path: Path) -> None:
    done = _run_bot(_environ(tmp_path, "https://api.telegram.org/bot", ""))
    assert done.returncode == 2
    assert done.stderr == "aftercare: TELEGRAM_BOT_TOKEN is not set (get a token from @BotFather)\n"


def _bad_databases(tmp_path: Path) -> list[Path]:
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("these are not the tables you are looking for\n" * 100)
    return [tmp_path / "no" / "such" / "folder" / "clinic.db", not_sqlite]


@pytest.mark.parametrize("which", [0, 1], ids=["missing folder", "not sqlite"])
@pytest.mark.parametrize("command", ["run", "enroll", "kb suggest"])
def test_an_unusable_database_is_one_line_and_exit_2(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str, which: int
) -> None:
    db = _bad_databases(env)[which]
    monkeypatch.setenv("AFTERCARE_DB", str(db))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "424242:AAHunusedUnusedUnusedUnusedUnused_x")
    monkeypatch.setenv("AFTERCARE_BOT_USERNAME", "GlowClinicBot")
    argv = {
        "run": ["run"],
        "enroll": ["enroll", "--procedure", "microneedling", "--treated-on", _days_ago(1)],
        "kb suggest": ["kb", "suggest"],
    }[command]
    code, out = _run(argv)
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(db) in err, err
    if command in ("kb suggest", "enroll") and which == 0:  # only `run` creates a database
        assert "no database" in err
    else:
        assert "cannot open the database" in err


def test_enroll_with_an_unwritable_qr_path_creates_no_invite(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AFTERCARE_BOT_USERNAME", "GlowClinicBot")
    qr = env / "missing-folder" / "link.png"
    code, out = _run(
        ["enroll", "--procedure", "microneedling", "--treated-on", _days_ago(1), "--qr", str(qr)]
    )
    assert code == 2 and out == ""  # no link printed: it would not be usable anyway
    assert "cannot write" in capsys.readouterr().err
    import sqlite3

    with sqlite3.connect(env / "clinic.db") as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "invites" not in tables or db.execute("SELECT COUNT(*) FROM invites").fetchone() == (0,)
    assert not qr.exists()


def _days_ago(days: int) -> str:
    from datetime import date, timedelta

    return (date.today() - timedelta(days=days)).isoformat()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_enroll_a_patient_again_adds_the_treatment_and_tells_them(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, date, datetime

    from bot.storage import patients

    store = Store.open(env / "clinic.db")
    try:
        ann, _ = store.call(
            patients.enroll, 555, 555, "Ann", "UTC", "microneedling", date.today(), datetime.now(UTC)
        )
    finally:
        store.close()
    code, out = _run(
        ["enroll", "--patient", str(ann.id), "--procedure", "dermal_filler", "--variant", "lips",
         "--treated-on", _days_ago(0)]
    )  # fmt: skip
    assert code == 0 and f"to patient #{ann.id} (Ann)" in out
    store = Store.open(env / "clinic.db")
    try:
        assert [t.procedure for t in store.call(patients.treatments, ann.id)] == [
            "dermal_filler",
            "microneedling",
        ]
        [told] = store.call(
            lambda db: db.execute("SELECT payload FROM outbox WHERE chat_id = 555").fetchall()
        )
        assert "added your dermal filler" in told[0]
    finally:
        store.close()
    assert (
        _run(["enroll", "--patient", "999", "--procedure", "microneedling", "--treated-on", _days_ago(0)])[0]
        == 2
    )
    assert "no patient #999" in capsys.readouterr().err
