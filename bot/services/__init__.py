"""Use cases that join the pure core and the storage, returning plain data (no Telegram here)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.answer import Engine
from bot.services.base import Clock, Deps, Settings, system_clock
from bot.services.conversation import Conversation
from bot.services.enrollment import Enrollment
from bot.services.privacy import Privacy
from bot.storage import Store


@dataclass(frozen=True)
class Services:
    """Every use case, sharing one set of dependencies."""

    deps: Deps
    enrollment: Enrollment
    conversation: Conversation
    privacy: Privacy

    @classmethod
    def create(
        cls, store: Store, engine: Engine, settings: Settings, link_secret: bytes, clock: Clock = system_clock
    ) -> Services:
        """Wire the services over one store, engine and clock."""
        deps = Deps(store, engine, clock, settings, link_secret)
        return cls(deps, Enrollment(deps), Conversation(deps), Privacy(deps))


__all__ = ["Clock", "Deps", "Services", "Settings", "system_clock"]
