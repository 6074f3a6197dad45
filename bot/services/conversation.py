"""A patient wrote something: the one implementation of it. In one transaction: the update is claimed, the
message is read (set-up date, handoff relay or question), the warning-sign screen runs, staff are alerted,
the question is logged and every reply is queued, so a crash leaves either all of it or none of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby

from sqlite_utils import Database

from bot.core.answer import Answer
from bot.core.hours import is_open
from bot.core.recovery import milestones, status_on
from bot.services import patients as lookup
from bot.services.alerts import Alerts
from bot.services.base import Deps
from bot.services.enrollment import Enrollment
from bot.services.handoffs import Handoffs, Incoming
from bot.services.outcome import Action, Message, Outcome
from bot.services.queue import enqueue, fresh_origin, handle_update
from bot.services.views import PatientView, PlanView, Reply, TodayView
from bot.services.wording import Wording
from bot.storage import patients, questions, transaction
from bot.storage.stamps import seconds

KEEP_TEXT_CHARS = 500


class MessageKind(StrEnum):
    """What a patient sent, as far as the reply is concerned."""

    TEXT = "text"
    COMMAND = "command"
    """An unknown /command: the help text."""
    PHOTO = "photo"
    """A photo or a document: the bot cannot look at them."""
    OTHER = "other"
    """Stickers, voice, locations and the like."""


@dataclass(frozen=True)
class Received:
    """A message from a patient's private chat, parsed by the adapter."""

    update_id: int
    incoming: Incoming
    kind: MessageKind = MessageKind.TEXT


class Conversation:
    """Use cases of a patient talking to the bot (each is one call, one transaction)."""

    def __init__(
        self, deps: Deps, wording: Wording, alerts: Alerts, handoffs: Handoffs, enrollment: Enrollment
    ) -> None:
        self.deps = deps
        self.wording = wording
        self.alerts = alerts
        self.handoffs = handoffs
        self.enrollment = enrollment

    async def receive(self, received: Received) -> Outcome:
        """A message in a patient's private chat."""
        return await self.deps.store.run(self._receive, received)

    def _receive(self, db: Database, received: Received) -> Outcome:
        return handle_update(db, self.deps.now(), received.update_id, lambda: self._read(db, received))

    def _read(self, db: Database, received: Received) -> Outcome:
        incoming = received.incoming
        chat_id = incoming.chat_id
        if self.handoffs.is_open(db, chat_id):
            return self._during_handoff(db, incoming)
        if received.kind is not MessageKind.TEXT or incoming.text is None:
            key = {MessageKind.COMMAND: "help", MessageKind.PHOTO: "photo"}.get(received.kind, "non_text")
            return Outcome((Message(chat_id, self.wording.text(key)),))
        text = incoming.text
        patient = lookup.for_question(self.deps, db, chat_id, text)
        procedure = None
        if patient is None:
            procedure = self.enrollment.setup_in_progress(db, chat_id, text)
            # A warning sign is never read as a date: "cant breathe" during set-up gets the safety reply.
            if procedure is not None and self.deps.engine.screen(text, procedure, None) is None:
                step = self.enrollment.typed_date(db, chat_id, incoming.user_id, procedure, text)
                if step is not None:
                    return Outcome((step,))
            if procedure is None and self.enrollment.is_a_date(text) and not self._any_sign(text):
                # A date before set-up, in a clinic with several procedures: which treatment was it?
                return Outcome((Message(chat_id, *self.wording.ask_procedure()),))
        reply = self._answer(patient, text, procedure)
        messages = self.wording.reply(chat_id, reply)
        alert = self.alerts.for_message(db, chat_id, reply.answer.urgency, reply.answer.alert_tier, text)
        self._log(db, patient, reply.answer, text)
        return Outcome(tuple(messages), alerts=(alert,) if alert else ())

    def _during_handoff(self, db: Database, incoming: Incoming) -> Outcome:
        """A person answers: the message goes to staff; a warning sign still gets its safety reply (first in
        line) and an alert."""
        relayed = self.handoffs.relay(db, incoming)
        if incoming.text is None:
            return Outcome(tuple(relayed))
        patient = lookup.for_question(self.deps, db, incoming.chat_id, incoming.text)
        reply = self._answer(patient, incoming.text, None)
        safety = self.wording.safety_only(incoming.chat_id, reply.answer, reply.clinic_open)
        alert = self.alerts.for_message(
            db, incoming.chat_id, reply.answer.urgency, reply.answer.alert_tier, incoming.text
        )
        self._log(db, patient, reply.answer, None)
        return Outcome((*safety, *relayed), alerts=(alert,) if alert else ())

    def _answer(self, patient: PatientView | None, text: str, procedure: str | None) -> Reply:
        engine = self.deps.engine
        if patient is None:
            known = procedure if procedure in engine.kb.procedures else None
            answer = engine.answer(text, known or self.default_procedure())
        else:
            answer = engine.answer(
                text, patient.procedure_id, patient.day, patient.treated_on, patient.variant, patient.holds
            )
        return Reply(
            answer, patient, self.clinic_open(), offer_person=self.deps.config.staff_chat_id is not None
        )

    def _any_sign(self, text: str) -> bool:
        engine = self.deps.engine
        return any(engine.screen(text, p, None) is not None for p in engine.procedures)

    def default_procedure(self) -> str:
        """The procedure used for someone not enrolled yet (the first one known)."""
        return self.deps.engine.procedures[0]

    def clinic_open(self) -> bool:
        """Whether the clinic is open now."""
        return is_open(self.deps.config.clinic_hours, self.deps.now())

    def _log(self, db: Database, patient: PatientView | None, answer: Answer, text: str | None) -> None:
        # The text of a question is kept only when the bot could not answer it (to improve the knowledge),
        # and only for a patient who is enrolled (so that /forget reaches it).
        if patient is None:
            return
        keep = (
            text[:KEEP_TEXT_CHARS]
            if text is not None and answer.abstained and answer.urgency is None
            else None
        )
        found = patients.get_patient(db, patient.chat_id)
        if found is None:
            return
        questions.record(
            db,
            found.id,
            seconds(self.deps.now()),
            patient.procedure_id,
            answer.day,
            answer.topic,
            answer.confidence,
            answer.urgency.value if answer.urgency else None,
            keep,
        )

    # -- a pressed "Did you mean" suggestion --------------------------------------------------------

    def pick(self, db: Database, chat_id: int, message_id: int | None, entry_id: str) -> list[Message]:
        """The answer of a suggestion (the buttons under the question go); a stale note when it is gone."""
        patient = lookup.for_question(self.deps, db, chat_id)
        engine = self.deps.engine
        try:
            if patient is None:
                answer = engine.answer_entry(self.default_procedure(), entry_id)
            else:
                answer = engine.answer_entry(
                    patient.procedure_id,
                    entry_id,
                    patient.day,
                    patient.treated_on,
                    patient.variant,
                    patient.holds,
                )
        except KeyError:
            return [Message(chat_id, self.wording.text("stale_button"))]
        self._log(db, patient, answer, None)
        cleared = (
            []
            if message_id is None
            else [Message(chat_id, action=Action.CLEAR_BUTTONS, message_id=message_id)]
        )
        reply = Reply(answer, patient, offer_person=self.deps.config.staff_chat_id is not None)
        return [*cleared, *self.wording.reply(chat_id, reply)]

    # -- commands -------------------------------------------------------------------------------------

    async def command(self, update_id: int, chat_id: int, name: str) -> Outcome:
        """`/help`, `/privacy`, `/today`, `/plan` and `/edited` (an edited message): one reply each."""
        return await self.deps.store.run(self._command, update_id, chat_id, name)

    def _command(self, db: Database, update_id: int, chat_id: int, name: str) -> Outcome:
        return handle_update(
            db,
            self.deps.now(),
            update_id,
            lambda: Outcome((Message(chat_id, self._command_text(db, chat_id, name)),)),
        )

    def _command_text(self, db: Database, chat_id: int, name: str) -> str:
        if name == "privacy":
            return self.wording.privacy()
        if name == "edited":
            return self.wording.text("edited")
        if name not in ("today", "plan"):
            return self.wording.text("help")
        patient = lookup.for_question(self.deps, db, chat_id)
        if patient is None:
            return self.wording.text("not_enrolled")
        procedure = self.deps.engine.procedure(patient.procedure_id, patient.variant, patient.holds)
        if name == "today":
            allowed, on_hold = status_on(procedure, patient.day)
            return self.wording.today(TodayView(patient, allowed, on_hold))
        found = milestones(procedure)
        days = [(day, list(group)) for day, group in groupby(found, key=lambda m: m.day)]
        return self.wording.plan(PlanView(patient, days))

    async def fallback(self, chat_id: int) -> Outcome:
        """Something went wrong while handling the patient's update: the polite fallback."""
        return await self.deps.store.run(self._fallback, chat_id)

    def _fallback(self, db: Database, chat_id: int) -> Outcome:
        outcome = Outcome((Message(chat_id, self.wording.fallback()),))
        with transaction(db):
            enqueue(db, outcome.messages, self.deps.now(), fresh_origin())
        return outcome
