"""`aftercare enroll` and `aftercare run` as a clinic uses them (the bot in a real subprocess)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.cli import main
from bot.core.invite_token import verify
from tests.fakebotapi import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("AFTERCARE_") or name == "TELEGRAM_BOT_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AFTERCARE_DB", str(tmp_path / "clinic.db"))
    monkeypatch.setenv("AFTERCARE_LINK_SECRET", "front-desk-secret")
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
        code, out = _run(["enroll", "--treated-on", _days_ago(0)])
        assert [c.method for c in server.requests] == ["getMe"]
    assert code == 0 and out.startswith("https://t.me/AskedBot?start=")


def test_enroll_without_username_or_token_says_what_to_set(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(["enroll", "--treated-on", _days_ago(0)])
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


class Running:
    """`aftercare run` in a subprocess, its stderr collected line by line."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if text in line:
                    return line
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} in: {''.join(self.lines)}")


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
        if first.proc.poll() is None:
            first.proc.kill()
            first.proc.wait()
    first.reader.join(timeout=5)
    assert first.proc.stderr is not None
    first.proc.stderr.close()
    log = "".join(first.lines)
    assert "stopped" in log
    assert server.token.split(":")[1] not in log
    assert "private question" not in log


def _days_ago(days: int) -> str:
    from datetime import date, timedelta

    return (date.today() - timedelta(days=days)).isoformat()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
