"""Configuration of the bot from the environment (see `.env.example`); command-line flags may override it."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.answer import Clinic

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_DB = "./aftercare.db"
TOKEN_PATTERN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
USERNAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")


class ConfigError(Exception):
    """A missing or malformed setting: reported as one line, exit code 2."""


@dataclass(frozen=True)
class Config:
    """Everything the bot needs to run, validated."""

    token: str
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path(DEFAULT_DB)
    timezone: str = "UTC"
    timezones: tuple[str, ...] = ("UTC",)
    bot_username: str | None = None
    link_secret: str | None = None
    clinic: Clinic = field(default_factory=Clinic)
    staff_chat_id: int | None = None
    invite_days: int = 14
    question_retention_days: int = 30

    @property
    def lock_path(self) -> Path:
        """The file locked while a bot runs on this database."""
        return Path(f"{self.db_path}.lock")


def check_timezone(name: str) -> str:
    """`name` if it is an IANA time zone such as Europe/London, else ConfigError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone '{name}' (use an IANA name such as Europe/London)") from None
    return name


def check_token(token: str | None) -> str:
    """The bot token if it looks like one (digits, a colon, then the secret), else ConfigError."""
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (get a token from @BotFather)")
    if not TOKEN_PATTERN.fullmatch(token.strip()):
        raise ConfigError("TELEGRAM_BOT_TOKEN is malformed (expected something like 123456:ABC-DEF...)")
    return token.strip()


def _int(name: str, value: str | None, default: int | None) -> int | None:
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not '{value}'") from None


def load_config(
    environ: Mapping[str, str] = os.environ,
    *,
    require_token: bool = True,
    overrides: Mapping[str, str | None] | None = None,
) -> Config:
    """Read and validate the settings; `overrides` (from flags) win over the environment."""
    env = {k: v for k, v in environ.items() if v != ""}
    env.update({k: v for k, v in (overrides or {}).items() if v})
    token = check_token(env.get("TELEGRAM_BOT_TOKEN")) if require_token else env.get("TELEGRAM_BOT_TOKEN", "")
    timezone = check_timezone(env.get("AFTERCARE_TIMEZONE", "UTC"))
    extra = [z.strip() for z in env.get("AFTERCARE_TIMEZONES", "").split(",") if z.strip()]
    timezones = tuple(dict.fromkeys([timezone, *(check_timezone(z) for z in extra)]))
    username = env.get("AFTERCARE_BOT_USERNAME", "").lstrip("@") or None
    if username is not None and not USERNAME_PATTERN.fullmatch(username):
        raise ConfigError(f"AFTERCARE_BOT_USERNAME '{username}' is not a Telegram username")
    defaults = Clinic()
    clinic = Clinic(
        name=env.get("AFTERCARE_CLINIC_NAME", defaults.name),
        phone=env.get("AFTERCARE_CLINIC_PHONE", defaults.phone),
        emergency_number=env.get("AFTERCARE_EMERGENCY_NUMBER", defaults.emergency_number),
    )
    invite_days = _int("AFTERCARE_INVITE_DAYS", env.get("AFTERCARE_INVITE_DAYS"), 14) or 14
    if not 1 <= invite_days <= 90:
        raise ConfigError("AFTERCARE_INVITE_DAYS must be between 1 and 90")
    return Config(
        token=token,
        api_url=env.get("AFTERCARE_API_URL", DEFAULT_API_URL),
        db_path=Path(env.get("AFTERCARE_DB", DEFAULT_DB)),
        timezone=timezone,
        timezones=timezones,
        bot_username=username,
        link_secret=env.get("AFTERCARE_LINK_SECRET"),
        clinic=clinic,
        staff_chat_id=_int("AFTERCARE_STAFF_CHAT_ID", env.get("AFTERCARE_STAFF_CHAT_ID"), None),
        invite_days=invite_days,
    )
