"""Warning-sign alerts for the staff chat: raised from a message or a check-in, queued in the outbox,
repeated once when nobody takes them, acknowledged by a staff member."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlite_utils import Database

from bot.core.model import Tier
from bot.core.recovery import recovery_day
from bot.services.base import Deps
from bot.services.views import Reply
from bot.storage import alerts, outbox, patients
from bot.storage.alerts import ALERT
from bot.storage.outbox import NewRow

MAX_WORDS = 1000
RECENT_ANSWERS = 3
ESCALATION_WINDOW = timedelta(days=2)
"""Check-in escalations older than this when first seen (e.g. at the first start) raise no alert."""


@dataclass(frozen=True)
class AlertView:
    """Everything an alert message shows; plain values, stored with the queued message."""

    alert_id: int
    chat_id: int
    name: str | None
    patient_number: int | None
    procedure: str | None
    day: int | None
    tier: str
    source: str
    words: str | None = None
    answers: list[tuple[int | None, str]] = field(default_factory=list)  # (check-in day, option id)
    repeat: bool = False

    def to_json(self) -> str:
        """The form stored in the outbox payload."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> AlertView:
        """Inverse of `to_json`."""
        data = json.loads(text)
        data["answers"] = [(d, str(o)) for d, o in data.get("answers", [])]
        return cls(**data)


class AckStatus(StrEnum):
    """Outcomes of "I'll handle it"."""

    DONE = "done"
    ALREADY = "already"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Ack:
    """What acknowledging did; `alert` is the alert as it is now (None when unknown)."""

    status: AckStatus
    alert: AlertView | None = None
    by: int | None = None


class Alerts:
    """Use cases of warning-sign alerts."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.listeners: list[Callable[[], None]] = []  # told when alert messages were queued

    def _queued(self) -> None:
        for listener in self.listeners:
            listener()

    async def from_message(self, reply: Reply, chat_id: int, text: str) -> int | None:
        """Raise an alert for a message with a warning sign (not again while one as urgent is open)."""
        tier = reply.answer.urgency
        if tier is None:
            return None
        alert_id = await self.deps.store.run(self._raise_for_message, chat_id, tier, text[:MAX_WORDS])
        if alert_id is not None:
            self._queued()
        return alert_id

    def _raise_for_message(self, db: Database, chat_id: int, tier: Tier, words: str) -> int | None:
        as_urgent = tuple(t.value for t in Tier if t.rank <= tier.rank)
        if alerts.open_alert_at_least(db, chat_id, as_urgent) is not None:
            return None
        patient = patients.get_patient(db, chat_id)
        key = f"message:{chat_id}:{secrets.token_hex(6)}"
        return self._create(db, key, chat_id, patient.id if patient else None, tier.value, "message", words)

    def _create(
        self,
        db: Database,
        key: str,
        chat_id: int,
        patient_id: int | None,
        tier: str,
        source: str,
        words: str | None,
    ) -> int | None:
        now = self.deps.clock()
        alert_id = alerts.create(db, key, chat_id, patient_id, tier, source, now)
        staff_chat = self.deps.settings.staff_chat_id
        if alert_id is None or staff_chat is None:
            return alert_id
        view = self._view(db, alert_id, words)
        assert view is not None
        repeat_at = now + timedelta(minutes=self.deps.settings.alert_repeat_minutes)
        rows = [
            NewRow(ALERT, f"alert:{alert_id}", staff_chat, now, payload=view.to_json()),
            NewRow(
                ALERT,
                f"alert:{alert_id}:repeat",
                staff_chat,
                repeat_at,
                payload=AlertView(**{**asdict(view), "repeat": True}).to_json(),
            ),
        ]
        outbox.insert_rows(db, rows, now)
        return alert_id

    async def sync_escalations(self) -> list[int]:
        """Raise an alert for each check-in escalation (and each rise of its tier) not alerted yet."""
        raised = await self.deps.store.run(self._sync)
        if raised:
            self._queued()
        return raised

    async def due(self) -> bool:
        """True when an alert message (or a repeat) waits to be sent; drops the words of those posted."""
        await self.deps.store.run(alerts.drop_spent_payloads)
        return await self.deps.store.run(alerts.due_messages, self.deps.clock()) > 0

    def _sync(self, db: Database) -> list[int]:
        since = self.deps.clock() - ESCALATION_WINDOW
        raised = []
        for found in alerts.unalerted_escalations(db, since):
            key = alerts.escalation_key(found.event_id, found.tier)
            alert_id = self._create(db, key, found.chat_id, found.patient_id, found.tier, "checkin", None)
            if alert_id is not None:
                raised.append(alert_id)
        return raised

    def _view(self, db: Database, alert_id: int, words: str | None = None) -> AlertView | None:
        alert = alerts.get(db, alert_id)
        if alert is None:
            return None
        patient = patients.get_patient(db, alert.chat_id)
        treatment = patients.latest_treatment(db, patient.id) if patient else None
        procedure = day = None
        if treatment is not None and patient is not None:
            known = self.deps.engine.kb.procedures.get(treatment.procedure)
            procedure = known.name if known else treatment.procedure
            day = max(0, recovery_day(treatment.treated_on, self.deps.today(patient.timezone)))
        answers = alerts.recent_answers(db, patient.id, RECENT_ANSWERS) if patient is not None else []
        return AlertView(
            alert_id=alert.id,
            chat_id=alert.chat_id,
            name=patient.name if patient else None,
            patient_number=patient.id if patient else None,
            procedure=procedure,
            day=day,
            tier=alert.tier,
            source=alert.source,
            words=words,
            answers=answers,
        )

    async def acknowledge(self, alert_id: int, staff_id: int) -> Ack:
        """Staff member `staff_id` takes the alert: no repeat, and the patient's words are no longer kept."""
        return await self.deps.store.run(self._acknowledge, alert_id, staff_id)

    def _acknowledge(self, db: Database, alert_id: int, staff_id: int) -> Ack:
        before = self._view(db, alert_id)
        if before is None:
            return Ack(AckStatus.UNKNOWN)
        if not alerts.acknowledge(db, alert_id, staff_id, self.deps.clock()):
            found = alerts.get(db, alert_id)
            return Ack(AckStatus.ALREADY, before, found.acknowledged_by if found else None)
        return Ack(AckStatus.DONE, before, staff_id)

    async def open_alerts(self) -> list[tuple[AlertView, datetime]]:
        """Unacknowledged alerts with the time they were raised, oldest first."""

        def load(db: Database) -> list[tuple[AlertView, datetime]]:
            found = []
            for alert in alerts.open_alerts(db):
                view = self._view(db, alert.id)
                if view is not None:
                    found.append((view, datetime.fromisoformat(alert.created_at)))
            return found

        return await self.deps.store.run(load)

    def purge(self, db: Database) -> int:
        """Drop the patient's words from alert messages already posted (runs on the database thread)."""
        return alerts.drop_spent_payloads(db)
