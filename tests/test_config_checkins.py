"""Check-in settings are read with the rest of the configuration: a bad value is a one-line error."""

from __future__ import annotations

from datetime import time

import pytest

from bot.config import ConfigError, load_config

TOKEN = {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def test_defaults() -> None:
    settings = load_config(TOKEN).checkins
    assert settings.checkin_time == time(10, 0)
    assert settings.quiet_hours == (time(21, 0), time(8, 0))


def test_values_from_the_environment() -> None:
    env = {**TOKEN, "AFTERCARE_CHECKIN_TIME": "11:30", "AFTERCARE_QUIET_HOURS": "off"}
    settings = load_config(env).checkins
    assert settings.checkin_time == time(11, 30) and settings.quiet_hours is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AFTERCARE_CHECKIN_TIME", "25:00"),
        ("AFTERCARE_QUIET_HOURS", "banana"),
        ("AFTERCARE_CHECKIN_TIME", "22:00"),  # inside the default quiet hours
    ],
)
def test_bad_values_are_config_errors(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config({**TOKEN, name: value})
    assert "\n" not in str(raised.value)
    assert "AFTERCARE_" in str(raised.value) or "quiet hours" in str(raised.value)
