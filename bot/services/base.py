"""What every use case needs: the store, the engine, the clock and a few settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.core.answer import Engine
from bot.core.hours import OpeningHours
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
    patient_retention_days: int = 180  # a patient is deleted this long after their last treatment
    max_days_back: int = 365
    clinic_hours: OpeningHours | None = None  # None: always treated as open
    alert_repeat_minutes: int = 15
    staff_chat_id: int | None = None


EngineListener = Callable[[Engine], None]


@dataclass
class EngineHolder:
    """The engine in use; a reload swaps it in one assignment, so every reader sees the old or the new one."""

    engine: Engine
    listeners: list[EngineListener] = field(default_factory=list)

    def swap(self, engine: Engine) -> None:
        """Put `engine` in use and tell the listeners (renderers and dispatchers that keep the texts)."""
        self.engine = engine
        for listener in self.listeners:
            listener(engine)


@dataclass(frozen=True)
class Deps:
    """Shared dependencies of the services."""

    store: Store
    knowledge: EngineHolder
    clock: Clock
    settings: Settings
    link_secret: bytes

    @property
    def engine(self) -> Engine:
        """The engine in use right now (read it afresh for every use: it may be reloaded)."""
        return self.knowledge.engine

    def now_iso(self) -> str:
        """The current time as stored in the database (UTC ISO 8601)."""
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")

    def today(self, timezone: str | None = None) -> date:
        """Today's date in `timezone` (default: the clinic's)."""
        return self.clock().astimezone(ZoneInfo(timezone or self.settings.timezone)).date()
