"""What every use case needs: the store, the knowledge in use, the clock and the configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.core.answer import Engine
from bot.services.knowledge import Knowledge
from bot.storage import Store

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Tests pass their own; it is the only clock of the use cases."""


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """Shared dependencies of the services, handed to each constructor."""

    store: Store
    knowledge: Knowledge
    clock: Clock
    config: Config
    link_secret: bytes

    @property
    def engine(self) -> Engine:
        """The engine in use right now (read it afresh for every use: it may be reloaded)."""
        return self.knowledge.engine

    def now(self) -> datetime:
        """The current time."""
        return self.clock()

    def today(self, timezone: str | None = None) -> date:
        """Today's date in `timezone` (default: the clinic's)."""
        return self.clock().astimezone(ZoneInfo(timezone or self.config.timezone)).date()
