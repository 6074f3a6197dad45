"""Configuration of the bot from the environment (see `.env.example`); command-line flags may override it."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.answer import Clinic
from bot.core.checkins import CheckinSettings
from bot.core.hours import WEEKDAYS, OpeningHours, OpeningSpan

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_DB = "./aftercare.db"
TOKEN_PATTERN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
USERNAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
DEFAULT_CLINIC_HOURS = "Mon-Fri 09:00-18:00"
_HOURS_PART = re.compile(r"([A-Za-z]{3})(?:-([A-Za-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


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
    staff_ids: frozenset[int] = frozenset()
    clinic_hours: OpeningHours = field(default_factory=lambda: parse_clinic_hours(DEFAULT_CLINIC_HOURS))
    alert_repeat_minutes: int = 15
    knowledge_dir: Path | None = None  # AFTERCARE_KNOWLEDGE (else the shipped knowledge base)
    invite_days: int = 14
    question_retention_days: int = 30
    patient_retention_days: int = 180  # AFTERCARE_PATIENT_RETENTION_DAYS: after the last treatment
    checkins: CheckinSettings = field(default_factory=CheckinSettings)

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


def check_api_url(url: str) -> str:
    """A Bot API base URL such as https://api.telegram.org/bot (the token is appended), else ConfigError."""
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
        raise ConfigError(
            f"AFTERCARE_API_URL '{url}' is not an http(s) URL like https://api.telegram.org/bot"
        )
    return url


def check_token(token: str | None) -> str:
    """The bot token if it looks like one (digits, a colon, then the secret), else ConfigError."""
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (get a token from @BotFather)")
    if not TOKEN_PATTERN.fullmatch(token.strip()):
        raise ConfigError("TELEGRAM_BOT_TOKEN is malformed (expected something like 123456:ABC-DEF...)")
    return token.strip()


def parse_clinic_hours(text: str, timezone: str = "UTC") -> OpeningHours:
    """`Mon-Fri 09:00-18:00, Sat 10:00-13:00` (parts separated by commas or semicolons), else ConfigError."""
    spans: list[OpeningSpan] = []
    for part in (p.strip() for p in re.split(r"[,;]", text) if p.strip()):
        found = _HOURS_PART.fullmatch(part)
        first = found.group(1).lower() if found else ""
        last = (found.group(2) or found.group(1)).lower() if found else ""
        if found is None or first not in WEEKDAYS or last not in WEEKDAYS:
            raise ConfigError(
                f"AFTERCARE_CLINIC_HOURS: cannot read '{part}' (write e.g. Mon-Fri 09:00-18:00)"
            )
        h1, m1, h2, m2 = (int(found.group(i)) for i in range(3, 7))
        if not (0 <= h1 <= 23 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
            raise ConfigError(f"AFTERCARE_CLINIC_HOURS: '{part}' must open before it closes, within a day")
        opens, closes = time(h1, m1), time.max if h2 == 24 else time(h2, m2)
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
        days = range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)]
        spans.extend(OpeningSpan(day, opens, closes) for day in days)
    return OpeningHours(tuple(spans), timezone, text.strip())


def parse_ids(name: str, text: str | None) -> frozenset[int]:
    """Comma- or space-separated numeric Telegram user ids (usernames are refused)."""
    ids: set[int] = set()
    for item in re.split(r"[,\s]+", text or ""):
        if not item:
            continue
        if not re.fullmatch(r"-?\d+", item):
            raise ConfigError(f"{name} lists numeric Telegram user ids, not '{item}'")
        ids.add(int(item))
    return frozenset(ids)


def _int(name: str, value: str | None, default: int | None) -> int | None:
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not '{value}'") from None


def _int_or(name: str, value: str | None, default: int) -> int:
    found = _int(name, value, default)
    return default if found is None else found


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
    clinic = Clinic(  # unset details are worded by the knowledge base (messages.yaml `clinic:`)
        name=env.get("AFTERCARE_CLINIC_NAME"),
        phone=env.get("AFTERCARE_CLINIC_PHONE"),
        emergency_number=env.get("AFTERCARE_EMERGENCY_NUMBER"),
    )
    # An explicit 0 is refused by the range check, not silently turned into the default.
    repeat = _int_or("AFTERCARE_ALERT_REPEAT_MINUTES", env.get("AFTERCARE_ALERT_REPEAT_MINUTES"), 15)
    if not 1 <= repeat <= 24 * 60:
        raise ConfigError("AFTERCARE_ALERT_REPEAT_MINUTES must be between 1 and 1440")
    invite_days = _int_or("AFTERCARE_INVITE_DAYS", env.get("AFTERCARE_INVITE_DAYS"), 14)
    if not 1 <= invite_days <= 90:
        raise ConfigError("AFTERCARE_INVITE_DAYS must be between 1 and 90")
    retention = _int_or("AFTERCARE_PATIENT_RETENTION_DAYS", env.get("AFTERCARE_PATIENT_RETENTION_DAYS"), 180)
    if not 60 <= retention <= 3650:  # longer than the check-ins (day 28) and /patients (30 days)
        raise ConfigError("AFTERCARE_PATIENT_RETENTION_DAYS must be between 60 and 3650")
    try:
        checkins = CheckinSettings.from_environ(env)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return Config(
        token=token,
        api_url=check_api_url(env.get("AFTERCARE_API_URL", DEFAULT_API_URL)),
        db_path=Path(env.get("AFTERCARE_DB", DEFAULT_DB)),
        timezone=timezone,
        timezones=timezones,
        bot_username=username,
        link_secret=env.get("AFTERCARE_LINK_SECRET"),
        clinic=clinic,
        staff_chat_id=_int("AFTERCARE_STAFF_CHAT_ID", env.get("AFTERCARE_STAFF_CHAT_ID"), None),
        staff_ids=parse_ids("AFTERCARE_STAFF_IDS", env.get("AFTERCARE_STAFF_IDS")),
        clinic_hours=parse_clinic_hours(env.get("AFTERCARE_CLINIC_HOURS", DEFAULT_CLINIC_HOURS), timezone),
        alert_repeat_minutes=repeat,
        knowledge_dir=Path(env["AFTERCARE_KNOWLEDGE"]) if env.get("AFTERCARE_KNOWLEDGE") else None,
        invite_days=invite_days,
        patient_retention_days=retention,
        checkins=checkins,
    )
