"""Configuration: one table of settings (name, default, type, help) from which the configuration is read,
`.env.example` is written and the README's table is checked. Command-line flags may override a setting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.answer import Clinic
from bot.core.checkins import CheckinSettings, parse_hhmm, parse_quiet_hours
from bot.core.hours import WEEKDAYS, OpeningHours, OpeningSpan

TOKEN_PATTERN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
USERNAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_HOURS_PART = re.compile(r"([A-Za-z]{3})(?:-([A-Za-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


class ConfigError(Exception):
    """A missing or malformed setting: reported as one line, exit code 2."""


def _text(value: str) -> str:
    return value.strip()


def _optional_text(value: str) -> str | None:
    return value.strip() or None


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"must be a whole number, not '{value}'") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number

    return parse


def _optional_int(value: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"must be a whole number, not '{value}'") from None


def check_timezone(name: str) -> str:
    """`name` if it is an IANA time zone such as Europe/London, else ValueError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}' (use an IANA name such as Europe/London)") from None
    return name


def _zones(value: str) -> tuple[str, ...]:
    return tuple(check_timezone(z.strip()) for z in value.split(",") if z.strip())


def check_api_url(url: str) -> str:
    """A Bot API base URL such as https://api.telegram.org/bot (the token is appended), else ValueError."""
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
        raise ValueError(f"'{url}' is not an http(s) URL like https://api.telegram.org/bot")
    return url


def check_token(token: str | None) -> str:
    """The bot token if it looks like one (digits, a colon, then the secret), else ConfigError."""
    if not token or not token.strip():
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (get a token from @BotFather)")
    if not TOKEN_PATTERN.fullmatch(token.strip()):
        raise ConfigError("TELEGRAM_BOT_TOKEN is malformed (expected something like 123456:ABC-DEF...)")
    return token.strip()


def _username(value: str) -> str | None:
    name = value.strip().lstrip("@")
    if name and not USERNAME_PATTERN.fullmatch(name):
        raise ValueError(f"'{name}' is not a Telegram username")
    return name or None


def parse_ids(value: str) -> frozenset[int]:
    """Comma- or space-separated numeric Telegram user ids (usernames are refused)."""
    ids: set[int] = set()
    for item in re.split(r"[,\s]+", value or ""):
        if not item:
            continue
        if not re.fullmatch(r"-?\d+", item):
            raise ValueError(f"lists numeric Telegram user ids, not '{item}'")
        ids.add(int(item))
    return frozenset(ids)


def parse_clinic_hours(text: str, timezone: str = "UTC") -> OpeningHours:
    """`Mon-Fri 09:00-18:00, Sat 10:00-13:00` (parts separated by commas or semicolons), else ValueError."""
    spans: list[OpeningSpan] = []
    for part in (p.strip() for p in re.split(r"[,;]", text) if p.strip()):
        found = _HOURS_PART.fullmatch(part)
        first = found.group(1).lower() if found else ""
        last = (found.group(2) or found.group(1)).lower() if found else ""
        if found is None or first not in WEEKDAYS or last not in WEEKDAYS:
            raise ValueError(f"cannot read '{part}' (write e.g. Mon-Fri 09:00-18:00)")
        h1, m1, h2, m2 = (int(found.group(i)) for i in range(3, 7))
        if not (0 <= h1 <= 23 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
            raise ValueError(f"'{part}' must open before it closes, within a day")
        opens, closes = time(h1, m1), time.max if h2 == 24 else time(h2, m2)
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
        days = range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)]
        spans.extend(OpeningSpan(day, opens, closes) for day in days)
    return OpeningHours(tuple(spans), timezone, text.strip())


def _hours(value: str) -> str:
    parse_clinic_hours(value)  # checked here; turned into OpeningHours with the time zone by Config
    return value.strip()


def _quiet(value: str) -> tuple[time, time] | None:
    return parse_quiet_hours(value)


def _path(value: str) -> Path:
    return Path(value.strip()).expanduser()


def _optional_path(value: str) -> Path | None:
    return Path(value.strip()).expanduser() if value.strip() else None


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, its default as written in `.env` ('' = unset), how it is
    read, and one line of help. `field` is the attribute of `Config` it fills."""

    name: str
    field: str
    default: str
    parse: Callable[[str], Any]
    help: str
    example: str = ""
    """A value to show in `.env.example` when the default is unset."""
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "AFTERCARE_HOME",
        "home",
        "",
        _optional_path,
        "the clinic folder made by `aftercare init` (its .env, knowledge/ and database); unset: the current"
        " folder when it is one. Set it in the environment, not in the .env file",
        example="/srv/aftercare",
    ),
    Setting(
        "TELEGRAM_BOT_TOKEN",
        "token",
        "",
        _text,
        "the bot's token from @BotFather (required to run the bot)",
        secret=True,
    ),
    Setting(
        "AFTERCARE_API_URL",
        "api_url",
        "https://api.telegram.org/bot",
        check_api_url,
        "Bot API base URL, the token is appended (a self-hosted Bot API server)",
    ),
    Setting(
        "AFTERCARE_DB",
        "db_path",
        "aftercare.db",
        _path,
        "the SQLite database file; a relative path is inside the clinic folder (only `init` and `run`"
        " create it)",
    ),
    Setting(
        "AFTERCARE_KNOWLEDGE",
        "knowledge_dir",
        "",
        _optional_path,
        "the knowledge base folder (default: the clinic folder's knowledge/, else the shipped one)",
    ),
    Setting(
        "AFTERCARE_TIMEZONE",
        "timezone",
        "UTC",
        check_timezone,
        "the clinic's time zone (IANA name): days of recovery are counted in it",
        example="Europe/London",
    ),
    Setting(
        "AFTERCARE_TIMEZONES",
        "extra_timezones",
        "",
        _zones,
        "more zones patients may pick during set-up, comma-separated",
        example="Europe/Dublin,Europe/Paris",
    ),
    Setting(
        "AFTERCARE_BOT_USERNAME",
        "bot_username",
        "",
        _username,
        "the bot's username, for `aftercare enroll` without network access (else asked from Telegram)",
        example="GlowClinicBot",
    ),
    Setting(
        "AFTERCARE_LINK_SECRET",
        "link_secret",
        "",
        _optional_text,
        "HMAC key of enrollment links; if unset, one is generated once and kept owner-only beside"
        " the database",
        secret=True,
    ),
    Setting(
        "AFTERCARE_INVITE_DAYS",
        "invite_days",
        "14",
        _whole(1, 90),
        "how long an enrollment link stays valid, in days (1-90)",
    ),
    Setting(
        "AFTERCARE_CLINIC_NAME",
        "clinic_name",
        "",
        _optional_text,
        "the clinic's name in replies (unset: 'the clinic')",
        example="Glow Clinic",
    ),
    Setting(
        "AFTERCARE_CLINIC_PHONE",
        "clinic_phone",
        "",
        _optional_text,
        "the clinic's phone in warning-sign replies (unset: 'the number on your aftercare sheet')",
        example="+44 20 7946 0000",
    ),
    Setting(
        "AFTERCARE_EMERGENCY_NUMBER",
        "emergency_number",
        "",
        _optional_text,
        "the emergency number in emergency replies (unset: 'your local emergency number')",
        example="999",
    ),
    Setting(
        "AFTERCARE_CRISIS_LINE",
        "crisis_line",
        "",
        _optional_text,
        "a crisis line for messages about suicide or self-harm (unset: a general wording)",
        example="Samaritans on 116 123",
    ),
    Setting(
        "AFTERCARE_STAFF_CHAT_ID",
        "staff_chat_id",
        "",
        _optional_int,
        "the clinic's staff group (negative id); the bot tells you the id when asked there with /chatid",
        example="-1001234567890",
    ),
    Setting(
        "AFTERCARE_STAFF_IDS",
        "staff_ids",
        "",
        parse_ids,
        "numeric Telegram user ids allowed to use staff commands and buttons, comma-separated (none: nobody)",
        example="123456789,987654321",
    ),
    Setting(
        "AFTERCARE_CLINIC_HOURS",
        "clinic_hours_text",
        "Mon-Fri 09:00-18:00",
        _hours,
        "opening hours in the clinic's time zone; out of them warning-sign replies say the clinic is closed",
    ),
    Setting(
        "AFTERCARE_ALERT_REPEAT_MINUTES",
        "alert_repeat_minutes",
        "15",
        _whole(1, 1440),
        "an alert nobody takes is posted again, once, after this many minutes (1-1440)",
    ),
    Setting(
        "AFTERCARE_QUESTION_RETENTION_DAYS",
        "question_retention_days",
        "30",
        _whole(1, 365),
        "how long the text of a question the bot could not answer is kept, in days (1-365)",
    ),
    Setting(
        "AFTERCARE_PATIENT_RETENTION_DAYS",
        "patient_retention_days",
        "180",
        _whole(60, 3650),
        "a patient and everything about them is deleted this many days after their last treatment (60-3650)",
    ),
    Setting(
        "AFTERCARE_CHECKIN_TIME",
        "checkin_time",
        "10:00",
        parse_hhmm,
        "local time (HH:MM) at which check-ins are sent; must lie outside the quiet hours",
    ),
    Setting(
        "AFTERCARE_QUIET_HOURS",
        "quiet_hours",
        "21:00-08:00",
        _quiet,
        "local hours in which nothing is sent (HH:MM-HH:MM, or off)",
    ),
)


@dataclass(frozen=True)
class Config:
    """Everything the bot needs, validated; one field per setting (see SETTINGS), no defaults repeated."""

    home: Path | None
    token: str
    api_url: str
    db_path: Path
    knowledge_dir: Path | None
    timezone: str
    extra_timezones: tuple[str, ...]
    bot_username: str | None
    link_secret: str | None
    invite_days: int
    clinic_name: str | None
    clinic_phone: str | None
    emergency_number: str | None
    crisis_line: str | None
    staff_chat_id: int | None
    staff_ids: frozenset[int]
    clinic_hours_text: str
    alert_repeat_minutes: int
    question_retention_days: int
    patient_retention_days: int
    checkin_time: time
    quiet_hours: tuple[time, time] | None

    @property
    def timezones(self) -> tuple[str, ...]:
        """The zones patients may pick: the clinic's first."""
        return tuple(dict.fromkeys([self.timezone, *self.extra_timezones]))

    @property
    def clinic(self) -> Clinic:
        """How the clinic is named and reached (unset details are worded by the knowledge base)."""
        return Clinic(
            name=self.clinic_name,
            phone=self.clinic_phone,
            emergency_number=self.emergency_number,
            crisis_line=self.crisis_line,
        )

    @property
    def clinic_hours(self) -> OpeningHours:
        """The opening hours in the clinic's time zone."""
        return parse_clinic_hours(self.clinic_hours_text, self.timezone)

    @property
    def checkins(self) -> CheckinSettings:
        """The check-in time and quiet hours."""
        return CheckinSettings(self.checkin_time, self.quiet_hours)

    @property
    def lock_path(self) -> Path:
        """The file locked while a bot runs on this database."""
        return Path(f"{self.db_path}.lock")

    @classmethod
    def defaults(cls, **changes: Any) -> Config:
        """Every setting at its default (no token), with `changes` applied: for tests and tools."""
        return replace(load_config({}, require_token=False), **changes)


ENV_FILE = ".env"
KNOWLEDGE_FOLDER = "knowledge"


def is_clinic_folder(folder: Path) -> bool:
    """Whether `folder` is a clinic folder: it has a `.env` or a `knowledge/` folder (as `init` makes)."""
    return (folder / ENV_FILE).is_file() or (folder / KNOWLEDGE_FOLDER).is_dir()


def find_home(environ: Mapping[str, str], cwd: Path | None) -> Path | None:
    """The clinic folder: AFTERCARE_HOME, else `cwd` when it is a clinic folder, else None."""
    named = environ.get("AFTERCARE_HOME", "").strip()
    if named:
        home = Path(named).expanduser()
        if not home.is_dir():
            raise ConfigError(f"AFTERCARE_HOME: {home} is not a folder (make it: `aftercare init {home}`)")
        return home
    if cwd is not None and is_clinic_folder(cwd):
        return cwd
    return None


def read_env_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines of a .env file (comments and blank lines skipped, matching quotes removed); a line
    it cannot read is a ConfigError `file:line: message`."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            raise ConfigError(f"{path}:{number}: expected NAME=value, e.g. AFTERCARE_TIMEZONE=Europe/London")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name] = value
    return values


def load_config(
    environ: Mapping[str, str],
    *,
    require_token: bool = True,
    overrides: Mapping[str, str | None] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Read and validate every setting: flags (`overrides`) over the environment over the clinic folder's
    `.env` (the folder is AFTERCARE_HOME, or `cwd` when it is one). Relative paths are inside the clinic
    folder, whose knowledge/ is used when it has one. A bad value is a ConfigError naming the variable."""
    home = find_home(environ, cwd)
    env = read_env_file(home / ENV_FILE) if home is not None else {}
    env = {k: v for k, v in env.items() if v.strip() != ""}
    env.pop("AFTERCARE_HOME", None)  # the folder is found before its file is read
    env.update({k: v for k, v in environ.items() if v.strip() != ""})
    env.update({k: v for k, v in (overrides or {}).items() if v})
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.name, setting.default)
        try:
            values[setting.field] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.name}: {exc}") from None
    values["home"] = home
    flags = {k for k, v in (overrides or {}).items() if v}
    if home is not None:  # relative paths from the environment are inside the clinic folder (flags: here)
        if "AFTERCARE_DB" not in flags:
            values["db_path"] = home / values["db_path"]  # an absolute path stays as it is
        if values["knowledge_dir"] is None and (home / KNOWLEDGE_FOLDER).is_dir():
            values["knowledge_dir"] = home / KNOWLEDGE_FOLDER
        elif values["knowledge_dir"] is not None and "AFTERCARE_KNOWLEDGE" not in flags:
            values["knowledge_dir"] = home / values["knowledge_dir"]
    if require_token:
        values["token"] = check_token(values["token"])
    config = Config(**values)
    try:
        config.checkins  # noqa: B018 - validates the check-in time against the quiet hours
    except ValueError as exc:
        raise ConfigError(f"AFTERCARE_CHECKIN_TIME: {exc}") from None
    return config


def env_example(clinic_folder: bool = False) -> str:
    """`.env.example` (or, for `aftercare init`, a clinic folder's `.env`), written from the settings table:
    every setting with its help, unset ones commented."""
    first = (
        "# The clinic's settings, read by every aftercare command run in this folder or with AFTERCARE_HOME."
        if clinic_folder
        else "# aftercare configuration from the settings table (`aftercare init` makes one like it)."
    )
    lines = [
        first,
        "# Values are plain: no quotes, no spaces around '='. Lines starting with # are ignored.",
        "",
    ]
    for setting in SETTINGS:
        if clinic_folder and setting.name == "AFTERCARE_HOME":
            continue
        lines.append(f"# {setting.help}")
        value = setting.default or setting.example
        prefix = "" if setting.default or setting.name == "TELEGRAM_BOT_TOKEN" else "#"
        lines.append(f"{prefix}{setting.name}={'' if setting.secret else value}")
        lines.append("")
    return "\n".join(lines)


def readme_table() -> str:
    """The README's table of settings, from the settings table."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "(unset)"
        rows.append(f"| `{setting.name}` | {default} | {setting.help} |")
    return "\n".join(rows)
