"""Check-ins: planning a treatment's check-ins into the outbox, composing each when it goes out, and what
happens when a patient presses a check-in button (one stored response per check-in).

"A bit worried" asks what is bothering them (their next message is answered like any question);
"Something's wrong" alerts staff and asks the warning-sign questions one by one, each "yes" raising the
alert to that question's tier and replying with the knowledge base's text for the tier.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlite_utils import Database

from bot.core.checkins import CheckinSettings, SkipReason, checkin_text, plan, zone
from bot.core.hours import is_open
from bot.core.model import Tier, WarningQuestion
from bot.core.text import fill
from bot.services import buttons
from bot.services.alerts import Alerts
from bot.services.base import Deps
from bot.services.outcome import Button, Message, clear_buttons
from bot.services.wording import Wording, safety_priority
from bot.storage import checkin_log, outbox, settings, transaction
from bot.storage.outbox import Kind, NewRow, OutboxRow, Priority, State

log = logging.getLogger(__name__)

SOMETHING_WRONG = "something_wrong"
PLAN_SETTINGS = "checkin_plan_settings"
"""The check-in time and quiet hours the pending check-ins were planned with (a change plans them again)."""


class Checkins:
    """Check-in use cases; they run on the database thread."""

    def __init__(self, deps: Deps, wording: Wording, alerts: Alerts) -> None:
        self.deps = deps
        self.wording = wording
        self.alerts = alerts

    @property
    def settings(self) -> CheckinSettings:
        """The clinic's check-in time and quiet hours."""
        return self.deps.config.checkins

    # -- planning ------------------------------------------------------------------------------------

    def plan_treatment(self, db: Database, treatment_id: int, now: datetime | None = None) -> int:
        """Put a treatment's check-ins into the outbox (idempotent). Steps already due at `now` (default: when
        the treatment was recorded) are stored as skipped; a patient with several treatments gets one
        check-in a day (the newer treatment's). Return how many rows were new."""
        info = outbox.planning_info(db, treatment_id)
        if info is None:
            raise KeyError(f"unknown treatment {treatment_id}")
        if info.procedure not in self.deps.engine.kb.procedures:
            raise KeyError(f"unknown procedure {info.procedure!r}")
        procedure = self.deps.engine.procedure(info.procedure, info.variant)
        moment = now or info.created_at or self.deps.now()
        tz = zone(info.timezone)
        planned = plan(procedure.checkins.steps, info.treated_on, tz, self.settings, moment, info.created_at)
        rows = [
            NewRow(
                kind=Kind.CHECKIN,
                dedupe_key=outbox.key("treatment", treatment_id, "day", p.day),
                chat_id=info.chat_id,
                due_at=p.due_at,
                priority=Priority.BACKGROUND,
                expires_at=p.expires_at,
                treatment_id=treatment_id,
                patient_id=info.patient_id,
                step_day=p.day,
                state=State.SKIPPED if p.late else State.PENDING,
                skip_reason=SkipReason.ENROLLED_LATE if p.late else None,
            )
            for p in planned
        ]
        with transaction(db):
            added = outbox.insert_rows(db, rows, moment)
            days = {p.due_at.astimezone(tz).date() for p in planned if not p.late}
            for row in outbox.pending_checkins(db, info.patient_id):
                older = row.treatment_id is not None and row.treatment_id < treatment_id
                if older and row.due_at.astimezone(tz).date() in days:
                    outbox.skip_pending(db, SkipReason.SUPERSEDED, moment, patient_id=info.patient_id,
                                        dedupe_keys=(row.dedupe_key,))  # fmt: skip
        return added

    def plan_new(self, db: Database, unplannable: set[int]) -> int:
        """Plan the check-ins of treatments enrolled since the last look (as of their enrollment time);
        treatments that plan nothing are remembered in `unplannable` and not looked at again."""
        planned = 0
        after = 0
        while found := outbox.unplanned_treatments(db, after, 500):
            after = found[-1]
            for treatment_id in (t for t in found if t not in unplannable):
                try:
                    added = self.plan_treatment(db, treatment_id)
                except KeyError:
                    log.warning("no check-in plan for treatment %d (unknown procedure)", treatment_id)
                    added = 0
                if added == 0:
                    unplannable.add(treatment_id)
                planned += added
        return planned

    def replan(self, db: Database, treatment_id: int) -> int:
        """Plan a treatment's pending check-ins again (its date, the patient's zone or the check-in time
        changed); those already sent, answered or skipped stay as they are. As at the first planning, a step
        is late only if its time came before the enrollment: one whose new time passed while the bot was down
        is caught up (or expires) like any other missed check-in."""
        with transaction(db):
            outbox.delete_pending_checkins(db, treatment_id)
            return self.plan_treatment(db, treatment_id)

    def replan_patient(self, db: Database, patient_id: int) -> int:
        """Plan every pending check-in of a patient again (their time zone changed); how many treatments."""
        with transaction(db):
            treatments = outbox.treatments_with_pending_checkins(db, patient_id)
            for treatment_id in treatments:
                self.replan(db, treatment_id)
        return len(treatments)

    def replan_if_settings_changed(self, db: Database) -> int:
        """At start-up: when the check-in time or quiet hours differ from those the pending check-ins were
        planned with, plan them again. Returns how many treatments were planned again."""
        current = f"{self.settings.checkin_time.isoformat('minutes')}|{self.settings.quiet_hours}"
        with transaction(db):
            before = settings.get(db, PLAN_SETTINGS)
            settings.put(db, PLAN_SETTINGS, current)
            if before is None or before == current:
                return 0
            treatments = outbox.treatments_with_pending_checkins(db)
            for treatment_id in treatments:
                self.replan(db, treatment_id)
        return len(treatments)

    # -- composing -----------------------------------------------------------------------------------

    def compose(self, row: OutboxRow) -> Message:
        """The check-in message of a row, with its answer buttons (composed when it goes out, from the
        knowledge base in use)."""
        if row.procedure is None or row.step_day is None:
            raise ValueError("check-in row without treatment")
        engine = self.deps.engine
        procedure = engine.procedure(row.procedure, row.variant, row.holds)
        text = checkin_text(engine.kb, procedure, row.step_day, engine.clinic.values())
        keyboard = tuple(
            (Button(o.label, buttons.encode(buttons.CheckinOption(row.id, o.id))),)
            for o in procedure.checkins.options
        )
        return Message(row.chat_id, text, keyboard, priority=Priority.BACKGROUND)

    # -- answers ---------------------------------------------------------------------------------------

    def _text(self, key: str) -> str:
        return self.wording.text(f"checkins.{key}")

    def warning_questions(self, procedure_id: str | None) -> tuple[WarningQuestion, ...]:
        """The questions asked after "Something's wrong": the procedure's own, else the shared ones."""
        kb = self.deps.engine.kb
        known = kb.procedures.get(procedure_id or "")
        if known is not None and known.checkins.warning_questions:
            return known.checkins.warning_questions
        node = kb.messages.get("checkins")
        items = node.get("warning_questions") if isinstance(node, dict) else None
        return tuple(
            WarningQuestion(Tier(item["tier"]), item["text"])
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and isinstance(item.get("text"), str) and item.get("tier") in set(Tier)
        )

    def press_option(
        self, db: Database, chat_id: int, message_id: int | None, press: buttons.CheckinOption
    ) -> tuple[list[Message], str | None]:
        """An answer button under a check-in: the messages and the note on the button."""
        row = outbox.get(db, press.outbox_id)
        if row is None or row.kind is not Kind.CHECKIN or row.chat_id != chat_id:
            return self._closed(chat_id, message_id)
        procedure = self.deps.engine.kb.procedures.get(row.procedure or "")
        if procedure is None or press.option not in {o.id for o in procedure.checkins.options}:
            return self._closed(chat_id, message_id)
        now = self.deps.now()
        with transaction(db):
            _, new = checkin_log.record_response(
                db, row.id, row.patient_id, row.treatment_id, row.step_day, press.option, now
            )
            if not new:
                return clear_buttons(chat_id, message_id), self._text("already_answered")
            text = self._text(f"replies.{press.option}")
            if press.option != SOMETHING_WRONG:
                return [
                    *clear_buttons(chat_id, message_id),
                    *([Message(chat_id, text)] if text else []),
                ], None
            self.alerts.for_checkin(db, row, Tier.SAME_DAY)
        return [*clear_buttons(chat_id, message_id), self._ask(row, 0, text)], None

    def press_warning(
        self, db: Database, chat_id: int, message_id: int | None, press: buttons.WarningAnswer
    ) -> tuple[list[Message], str | None]:
        """Yes or no to one warning-sign question."""
        row = outbox.get(db, press.outbox_id)
        if row is None or row.kind is not Kind.CHECKIN or row.chat_id != chat_id:
            return self._closed(chat_id, message_id)
        questions = self.warning_questions(row.procedure)
        response = checkin_log.response_for(db, row.id)
        if response is None or response.option != SOMETHING_WRONG or press.question >= len(questions):
            return self._closed(chat_id, message_id)
        now = self.deps.now()
        with transaction(db):
            new = checkin_log.record_followup(
                db, response.id, press.question, "yes" if press.yes else "no", now
            )
            if not new:
                return clear_buttons(chat_id, message_id), self._text("already_answered")
            if not press.yes:
                return [*clear_buttons(chat_id, message_id), self._ask(row, press.question + 1, None)], None
            tier = questions[press.question].tier
            self.alerts.for_checkin(db, row, tier)
        procedure = self.deps.engine.procedure(row.procedure or "", row.variant, row.holds)
        text = fill(procedure.tier_replies[tier], self.deps.engine.clinic.values())
        hours = self.deps.config.clinic_hours
        note = None if is_open(hours, now) else self.wording.closed_note(tier)
        reply = Message(chat_id, "\n\n".join(t for t in (text, note) if t), priority=safety_priority(tier))
        return [*clear_buttons(chat_id, message_id), reply], None

    def _ask(self, row: OutboxRow, index: int, lead: str | None) -> Message:
        questions = self.warning_questions(row.procedure)
        if index >= len(questions):
            return Message(row.chat_id, self._text("warning_none"))
        text = "\n\n".join(t for t in (lead, questions[index].text) if t)
        keyboard = (
            (
                Button(self._text("warning_yes"), buttons.encode(buttons.WarningAnswer(row.id, index, True))),
                Button(self._text("warning_no"), buttons.encode(buttons.WarningAnswer(row.id, index, False))),
            ),
        )
        return Message(row.chat_id, text, keyboard)

    def _closed(self, chat_id: int, message_id: int | None) -> tuple[list[Message], str | None]:
        return clear_buttons(chat_id, message_id), self._text("expired")
