"""The only door: every Telegram update and every command-line command makes one call here, which returns a
plain outcome (the messages queued, a note for a pressed button, the alerts raised). No Telegram here."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.services.alerts import Alerts
from bot.services.base import Clock, Deps, system_clock
from bot.services.checkins import Checkins
from bot.services.conversation import Conversation
from bot.services.dispatch import Dispatcher, DispatchPolicy, Sender
from bot.services.enrollment import Enrollment
from bot.services.handoffs import HandoffDoor, Handoffs
from bot.services.inbox import Inbox
from bot.services.knowledge import Knowledge
from bot.services.presses import Presses
from bot.services.privacy import Privacy
from bot.services.reports import Reports
from bot.services.staff import Staff
from bot.services.wording import Wording
from bot.storage import Store


@dataclass(frozen=True)
class Services:
    """Every use case, built once over one store, one knowledge base and one clock."""

    deps: Deps
    wording: Wording
    inbox: Inbox
    conversation: Conversation
    enrollment: Enrollment
    privacy: Privacy
    handoffs: HandoffDoor
    checkins: Checkins
    staff: Staff
    presses: Presses

    @classmethod
    def create(
        cls,
        store: Store,
        knowledge: Knowledge,
        config: Config,
        link_secret: bytes,
        clock: Clock = system_clock,
    ) -> Services:
        """Wire the use cases; each gets what it needs through its constructor."""
        deps = Deps(store, knowledge, clock, config, link_secret)
        wording = Wording(knowledge, config)
        alerts = Alerts(deps, wording)
        handoffs = Handoffs(deps, wording)
        checkins = Checkins(deps, wording, alerts)
        enrollment = Enrollment(deps, wording, checkins)
        conversation = Conversation(deps, wording, alerts, handoffs, enrollment)
        privacy = Privacy(deps, wording, alerts)
        door = HandoffDoor(deps, wording, handoffs)
        staff = Staff(deps, wording, alerts, handoffs, enrollment, Reports(deps))
        presses = Presses(deps, wording, conversation, enrollment, privacy, door, checkins, staff)
        return cls(
            deps, wording, Inbox(deps), conversation, enrollment, privacy, door, checkins, staff, presses
        )

    def dispatcher(self, sender: Sender, policy: DispatchPolicy | None = None) -> Dispatcher:
        """The sender of the outbox over `sender` (the Telegram adapter's rate-limited send path)."""
        return Dispatcher(self.deps, self.checkins, self.privacy, sender, policy or DispatchPolicy())


__all__ = ["Clock", "Deps", "Services", "system_clock"]
