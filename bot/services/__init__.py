"""Use cases that join the pure core and the storage, returning plain data (no Telegram here)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.answer import Engine
from bot.services.alerts import Alerts
from bot.services.base import Clock, Deps, EngineHolder, Settings, system_clock
from bot.services.conversation import Conversation
from bot.services.enrollment import Enrollment
from bot.services.handoff import Handoffs
from bot.services.privacy import Privacy
from bot.services.reports import Reports
from bot.storage import Store


@dataclass(frozen=True)
class Services:
    """Every use case, sharing one set of dependencies."""

    deps: Deps
    enrollment: Enrollment
    conversation: Conversation
    privacy: Privacy
    alerts: Alerts
    handoffs: Handoffs
    reports: Reports

    @classmethod
    def create(
        cls, store: Store, engine: Engine, settings: Settings, link_secret: bytes, clock: Clock = system_clock
    ) -> Services:
        """Wire the services over one store, engine and clock."""
        deps = Deps(store, EngineHolder(engine), clock, settings, link_secret)
        alerts, handoffs = Alerts(deps), Handoffs(deps)
        return cls(
            deps,
            Enrollment(deps),
            Conversation(deps),
            Privacy(deps, alerts, handoffs),
            alerts,
            handoffs,
            Reports(deps),
        )


__all__ = ["Clock", "Deps", "EngineHolder", "Services", "Settings", "system_clock"]
