"""Warning-sign and crisis alerts for the staff chat: raised from a message or a check-in, queued in the
outbox together with the alert row (one transaction), repeated once when nobody takes them, taken by a
staff member."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlite_utils import Database

from bot.core.checkins import SkipReason
from bot.core.model import Tier
from bot.core.recovery import recovery_day
from bot.services.base import Deps
from bot.services.outcome import Message
from bot.services.wording import AlertView, Wording
from bot.storage import alerts, checkin_log, outbox, patients, setups, staff_events, transaction
from bot.storage.alerts import Source
from bot.storage.outbox import Kind, NewRow, OutboxRow, Priority
from bot.storage.staff_events import NoticeKind

MAX_WORDS = 1000
RECENT_ANSWERS = 3
STRANGER_WINDOW = timedelta(hours=1)
"""Someone not enrolled raises at most one alert in this time (the safety reply always goes out)."""
STRANGER_ALERTS_PER_HOUR = 3
"""People not enrolled together raise at most this many alerts in a clock hour; the rest are counted, and
staff get one line about the flood (so nobody can bury the staff chat in alerts)."""


class AckStatus(StrEnum):
    """Outcomes of "I'll handle it"."""

    DONE = "done"
    ALREADY = "already"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Ack:
    """What taking an alert did; `alert` is the alert as it is now (None when unknown)."""

    status: AckStatus
    alert: AlertView | None = None
    by: int | None = None


def _hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def alert_key(alert_id: int, repeat: bool = False) -> str:
    """The outbox key of an alert's message (or of its repeat)."""
    return outbox.key("alert", alert_id, "repeat") if repeat else outbox.key("alert", alert_id)


class Alerts:
    """Use cases of staff alerts; they run on the database thread inside a caller's transaction."""

    def __init__(self, deps: Deps, wording: Wording) -> None:
        self.deps = deps
        self.wording = wording

    def for_message(
        self, db: Database, chat_id: int, tier: Tier | None, alert_tier: Tier | None, words: str
    ) -> int | None:
        """An alert for a message with a warning sign; none while one as urgent is open for the chat. People
        not enrolled (nor setting up) raise one an hour each and STRANGER_ALERTS_PER_HOUR together."""
        if tier is None:
            return None
        priority_tier = alert_tier or tier
        if alerts.open_alert_at_least(db, chat_id, priority_tier) is not None:
            return None
        patient = patients.get_patient(db, chat_id)
        now = self.deps.now()
        if patient is None and setups.get(db, chat_id) is None:
            latest = alerts.latest_for_chat(db, chat_id)
            if latest is not None and now - latest.created_at < STRANGER_WINDOW:
                return None  # staff have this person's alert of the hour
            if alerts.count_since(db, _hour_of(now), strangers=True) >= STRANGER_ALERTS_PER_HOUR:
                self._count_flood(db)
                return None
        key = outbox.key("message", chat_id, now.isoformat())
        return self._create(
            db,
            key,
            chat_id,
            patient.id if patient else None,
            priority_tier,
            Source.MESSAGE,
            words[:MAX_WORDS],
        )

    def _count_flood(self, db: Database) -> None:
        """One more warning sign without an alert; the first of the hour tells the staff chat, once."""
        now = self.deps.now()
        key = outbox.key("flood", _hour_of(now).isoformat())
        with transaction(db):
            count = staff_events.count_up(db, NoticeKind.FLOOD, key, now)
            staff_chat = self.deps.config.staff_chat_id
            if count == 1 and staff_chat is not None:
                text = self.wording.staff("flood_started", limit=STRANGER_ALERTS_PER_HOUR)
                row = NewRow(Kind.MESSAGE, key, staff_chat, now, Priority.URGENT,
                             payload=Message(staff_chat, text).to_json())  # fmt: skip
                outbox.insert_rows(db, [row], now)

    def for_checkin(self, db: Database, row: OutboxRow, tier: Tier) -> int | None:
        """An alert for a check-in answer ("Something's wrong", a "yes" to a warning question). A check-in's
        alerts only ever become more urgent: a rise of tier is a new alert, the same or a calmer one none."""
        prefix = outbox.key("checkin", row.id, "")
        raised = alerts.most_urgent_tier(db, prefix)
        if raised is not None and raised.rank <= tier.rank:
            return None
        return self._create(db, prefix + tier.value, row.chat_id, row.patient_id, tier, Source.CHECKIN, None)

    def _create(
        self,
        db: Database,
        key: str,
        chat_id: int,
        patient_id: int | None,
        tier: Tier,
        source: Source,
        words: str | None,
    ) -> int | None:
        """The alert row and its two messages (now, and the repeat) commit together or not at all."""
        now = self.deps.now()
        staff_chat = self.deps.config.staff_chat_id
        with transaction(db):
            alert_id = alerts.create(db, key, chat_id, patient_id, tier, source, now)
            if alert_id is None or staff_chat is None:
                return alert_id
            view = self.view(db, alert_id, words)
            assert view is not None
            repeat_at = now + timedelta(minutes=self.deps.config.alert_repeat_minutes)
            first = self.wording.alert(staff_chat, view)
            again = self.wording.alert(staff_chat, replace(view, repeat=True))
            rows = [
                NewRow(Kind.ALERT, alert_key(alert_id), staff_chat, now, first.priority,
                       patient_id=patient_id, payload=first.to_json(), about_chat_id=chat_id),
                NewRow(Kind.ALERT, alert_key(alert_id, True), staff_chat, repeat_at, again.priority,
                       patient_id=patient_id, payload=again.to_json(), about_chat_id=chat_id),
            ]  # fmt: skip
            outbox.insert_rows(db, rows, now)
        return alert_id

    def view(self, db: Database, alert_id: int, words: str | None = None) -> AlertView | None:
        """What an alert message shows."""
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
        answers = checkin_log.recent_answers(db, patient.id, RECENT_ANSWERS) if patient is not None else []
        return AlertView(
            alert_id=alert.id,
            chat_id=alert.chat_id,
            name=patient.name if patient else None,
            patient_number=patient.id if patient else None,
            procedure=procedure,
            day=day,
            tier=alert.tier,
            from_checkin=alert.source is Source.CHECKIN,
            words=words,
            answers=tuple(answers),
        )

    def acknowledge(self, db: Database, alert_id: int, staff_id: int) -> Ack:
        """Staff member `staff_id` takes the alert: no repeat, and the patient's words are no longer kept."""
        with transaction(db):
            before = self.view(db, alert_id)
            if before is None:
                return Ack(AckStatus.UNKNOWN)
            now = self.deps.now()
            if not alerts.acknowledge(db, alert_id, staff_id, now):
                found = alerts.get(db, alert_id)
                return Ack(AckStatus.ALREADY, before, found.acknowledged_by if found else None)
            keys = (alert_key(alert_id), alert_key(alert_id, True))
            outbox.skip_pending(db, SkipReason.ACKNOWLEDGED, now, kind=Kind.ALERT, dedupe_keys=keys[1:])
            outbox.drop_payloads(db, keys)
        return Ack(AckStatus.DONE, before, staff_id)

    def open_alerts(self, db: Database) -> list[tuple[AlertView, datetime]]:
        """Untaken alerts with the time they were raised, most urgent first."""
        found = []
        for alert in alerts.open_alerts(db):
            view = self.view(db, alert.id)
            if view is not None:
                found.append((view, alert.created_at))
        return found

    def forget_chat(self, db: Database, chat_id: int) -> dict[str, int]:
        """/forget: the chat's alerts and their queued messages; rows per table."""
        ids = alerts.ids_for_chat(db, chat_id)
        keys = tuple(k for i in ids for k in (alert_key(i), alert_key(i, True)))
        counts = {
            "outbox": outbox.delete_by_keys(db, Kind.ALERT, keys),
            "alerts": alerts.forget_chat(db, chat_id),
        }
        return {k: v for k, v in counts.items() if v}
