"""`aftercare preview`: what a patient receives on a given day, exactly as the bot would send it."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config
from bot.core.answer import Engine
from bot.services.knowledge import Knowledge
from bot.services.preview import NothingToPreview, Preview, Screen
from tests.bot_support import start_bot, stop_bot
from tests.conftest import KNOWLEDGE, FakeClock
from tests.fakebotapi import FakeBotAPI


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.fixture
def preview(engine: Engine) -> Preview:
    return Preview(Knowledge(KNOWLEDGE, engine.clinic, engine), Config.defaults(clinic_name="Glow Clinic"))


async def test_today_and_plan_are_what_the_bot_sends_that_patient(
    server: FakeBotAPI, tmp_path: Path, engine: Engine, preview: Preview
) -> None:
    clock = FakeClock()
    bot = await start_bot(server, engine, tmp_path / "bot.db", clock)
    try:
        bot.server.push_command(5, "/start", args=bot.invite(days_ago=3).payload)
        await bot.replies(5, 1)
        [today] = await bot.say(5, "/today")
        [plan] = await bot.say(5, "/plan")
    finally:
        await stop_bot(bot)
    assert today.text == preview.show(Screen.TODAY, "microneedling", None, 3, clock.today()).text
    assert plan.text == preview.show(Screen.PLAN, "microneedling", None, 3, clock.today()).text


def test_plan_marks_the_day(preview: Preview) -> None:
    shown = preview.show(Screen.PLAN, "chemical_peel", "medium", 7, date(2026, 11, 30))
    assert "▶" in shown.text


def test_a_checkin_shows_its_buttons_and_a_day_without_one_says_which_days_have(preview: Preview) -> None:
    shown = preview.show(Screen.CHECKIN, "microneedling", None, 3, date(2026, 11, 30))
    assert [row[0].label for row in shown.buttons] == ["All good", "A bit worried", "Something's wrong"]
    with pytest.raises(NothingToPreview, match=r"no check-in on day 2 \(check-in days: "):
        preview.show(Screen.CHECKIN, "microneedling", None, 2, date(2026, 11, 30))


def test_the_command_prints_the_message_with_the_clinics_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCARE_CLINIC_NAME", "Glow Clinic")
    code, out = _run("preview", "help", "--day", "0", "--procedure", "microneedling")
    assert code == 0 and "Glow Clinic" in out
    code, out = _run("preview", "checkin", "--day", "3", "--procedure", "microneedling")
    assert code == 0 and out.rstrip().endswith("[Something's wrong]")


def test_a_day_without_a_checkin_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run("preview", "checkin", "--day", "2", "--procedure", "microneedling")
    err = capsys.readouterr().err
    assert code == 2 and out == "" and err.count("\n") == 1 and "check-in days" in err
