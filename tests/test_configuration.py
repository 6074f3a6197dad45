"""Configuration: one table of settings from which the configuration is read, `.env.example` is written and
the README's table comes; a bad value is one line naming the variable."""

from __future__ import annotations

import dataclasses
from datetime import time
from pathlib import Path

import pytest

from bot.config import SETTINGS, Config, ConfigError, env_example, load_config, readme_table

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_-x"


def test_every_setting_fills_one_field_and_every_field_has_a_setting() -> None:
    names = [s.name for s in SETTINGS]
    assert len(set(names)) == len(names)
    assert [s.field for s in SETTINGS] == [f.name for f in dataclasses.fields(Config)]
    assert all(s.help and s.name.isupper() for s in SETTINGS)


def test_the_env_example_is_written_from_the_table() -> None:
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == env_example()
    for line in env_example().splitlines():
        if "=" in line and not line.startswith("# "):
            value = line.split("=", 1)[1]
            assert not value.startswith(('"', "'")), (
                line
            )  # plain values: Docker's env files take quotes literally


def test_the_readme_table_is_the_table() -> None:
    assert readme_table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_example_env_file_loads() -> None:
    example = {}
    for line in env_example().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            example[name] = value
    config = load_config({**example, "TELEGRAM_BOT_TOKEN": TOKEN})
    assert config.token == TOKEN


def test_defaults_come_from_the_table_only() -> None:
    config = Config.defaults()
    assert config.invite_days == 14 and config.alert_repeat_minutes == 15
    assert config.patient_retention_days == 180 and config.question_retention_days == 30
    assert config.checkins.checkin_time == time(10, 0)
    assert config.checkins.quiet_hours == (time(21, 0), time(8, 0))
    assert config.api_url == "https://api.telegram.org/bot" and config.timezones == ("UTC",)


def test_config_reads_the_environment() -> None:
    config = load_config(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "AFTERCARE_TIMEZONE": "Europe/London",
            "AFTERCARE_TIMEZONES": "Europe/Paris, Europe/London",
            "AFTERCARE_CLINIC_NAME": "Glow",
            "AFTERCARE_BOT_USERNAME": "@GlowBot",
            "AFTERCARE_STAFF_CHAT_ID": "-100123",
            "AFTERCARE_CHECKIN_TIME": "11:30",
            "AFTERCARE_QUIET_HOURS": "off",
        },
        overrides={"AFTERCARE_DB": "/tmp/x.db"},
    )
    assert config.timezones == ("Europe/London", "Europe/Paris")
    assert config.bot_username == "GlowBot" and config.clinic.name == "Glow"
    assert config.db_path == Path("/tmp/x.db") and config.staff_chat_id == -100123
    assert config.checkins.checkin_time == time(11, 30) and config.checkins.quiet_hours is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "nonsense"}, "malformed"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_TIMEZONE": "Mars/Olympus"},
            "AFTERCARE_TIMEZONE: unknown time zone",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_STAFF_CHAT_ID": "abc"},
            "STAFF_CHAT_ID: must be a whole number",
        ),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_API_URL": "api.telegram.org"}, "not an http"),
        # 0 is refused, not silently replaced by the default (14 days, 15 minutes)
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_INVITE_DAYS": "0"},
            "AFTERCARE_INVITE_DAYS: must be between",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_ALERT_REPEAT_MINUTES": "0"},
            "REPEAT_MINUTES: must be between",
        ),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_CHECKIN_TIME": "25:00"}, "AFTERCARE_CHECKIN_TIME"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_QUIET_HOURS": "banana"}, "AFTERCARE_QUIET_HOURS"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_CHECKIN_TIME": "22:00"}, "inside the quiet hours"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_STAFF_IDS": "@sam"}, "AFTERCARE_STAFF_IDS: lists numeric"),
    ],
)
def test_config_errors_are_one_line(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(environ)
    assert "\n" not in str(info.value) and TOKEN not in str(info.value)


def test_staff_settings_from_the_environment() -> None:
    config = load_config(
        {
            "AFTERCARE_STAFF_CHAT_ID": "-1001234",
            "AFTERCARE_STAFF_IDS": "111, 222 333",
            "AFTERCARE_TIMEZONE": "Europe/Paris",
            "AFTERCARE_ALERT_REPEAT_MINUTES": "20",
        },
        require_token=False,
    )
    assert config.staff_chat_id == -1001234 and config.staff_ids == frozenset({111, 222, 333})
    assert config.alert_repeat_minutes == 20
    assert (
        config.clinic_hours.timezone == "Europe/Paris" and config.clinic_hours.text == "Mon-Fri 09:00-18:00"
    )
    assert load_config({}, require_token=False).staff_ids == frozenset()  # default: nobody
    with pytest.raises(ConfigError, match="numeric"):
        load_config({"AFTERCARE_STAFF_IDS": "@drsmith"}, require_token=False)
