"""What every use case needs: the store, the engine, the clock and a few settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.core.answer import Engine
from bot.storage import Store

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Tests pass their own."""


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    """The clinic's choices that use cases follow."""

    timezone: str = "UTC"
    timezones: tuple[str, ...] = ("UTC",)
    invite_days: int = 14
    question_retention_days: int = 30
    max_days_back: int = 365


@dataclass(frozen=True)
class Deps:
    """Shared dependencies of the services."""

    store: Store
    engine: Engine
    clock: Clock
    settings: Settings
    link_secret: bytes

    def now_iso(self) -> str:
        """The current time as stored in the database (UTC ISO 8601)."""
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")

    def today(self, timezone: str | None = None) -> date:
        """Today's date in `timezone` (default: the clinic's)."""
        return self.clock().astimezone(ZoneInfo(timezone or self.settings.timezone)).date()
