"""Answering patients: free text, a picked suggestion, where they are today, and the whole plan."""

from __future__ import annotations

from itertools import groupby

from sqlite_utils import Database

from bot.core.answer import Answer
from bot.core.hours import is_open
from bot.core.recovery import milestones, status_on
from bot.services import patients as patient_lookup
from bot.services.base import Deps
from bot.services.views import PatientView, PlanView, Reply, TodayView
from bot.storage import patients, questions


class Conversation:
    """Use cases of a patient talking to the bot."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def default_procedure(self) -> str:
        """The procedure used for someone not enrolled yet (the first one known)."""
        return self.deps.engine.procedures[0]

    async def ask(self, chat_id: int, text: str) -> Reply:
        """The answer for the patient's day and procedure (day unknown if not enrolled), logged."""
        reply = await self.answer(chat_id, text)
        await self.log(reply, text)
        return reply

    async def answer(self, chat_id: int, text: str, procedure: str | None = None) -> Reply:
        """The answer for the patient's day and procedure, not logged yet (see `log`); someone not enrolled
        is answered for `procedure` (the one picked during set-up) or else the default one."""
        patient = await patient_lookup.find(self.deps, chat_id)
        if patient is None:
            known = procedure if procedure in self.deps.engine.kb.procedures else None
            answer = self.deps.engine.answer(text, known or self.default_procedure())
            return Reply(answer, patient, self.clinic_open())
        answer = self.deps.engine.answer(text, patient.procedure_id, patient.day, patient.treated_on)
        return Reply(answer, patient, self.clinic_open())

    def clinic_open(self) -> bool:
        """Whether the clinic is open now (always, when no opening hours are configured)."""
        hours = self.deps.settings.clinic_hours
        return hours is None or is_open(hours, self.deps.clock())

    async def log(self, reply: Reply, text: str | None) -> None:
        """Record the question in the log (after the reply went out, to keep replies fast)."""
        await self._log(reply.patient.chat_id if reply.patient else 0, reply.patient, reply.answer, text)

    async def pick(self, chat_id: int, entry_id: str) -> Reply | None:
        """The answer of a "Did you mean" suggestion; None when the entry no longer exists."""
        patient = await patient_lookup.find(self.deps, chat_id)
        procedure = patient.procedure_id if patient else self.default_procedure()
        try:
            if patient is None:
                answer = self.deps.engine.answer_entry(procedure, entry_id)
            else:
                answer = self.deps.engine.answer_entry(procedure, entry_id, patient.day, patient.treated_on)
        except KeyError:
            return None
        await self._log(chat_id, patient, answer, None)
        return Reply(answer, patient)

    async def _log(self, chat_id: int, patient: PatientView | None, answer: Answer, text: str | None) -> None:
        # The text of a question is kept only when the bot could not answer it (to improve the knowledge),
        # and only for a patient who is enrolled (so that /forget reaches it).
        if patient is None:
            return
        keep = text[:500] if text is not None and answer.abstained and answer.urgency is None else None
        await self.deps.store.run(self._record, chat_id, patient.procedure_id, answer, keep)

    def _record(self, db: Database, chat_id: int, procedure: str, answer: Answer, text: str | None) -> None:
        patient = patients.get_patient(db, chat_id)
        if patient is None:
            return
        questions.record(
            db,
            patient.id,
            self.deps.now_iso(),
            procedure,
            answer.day,
            answer.topic,
            answer.confidence,
            answer.urgency.value if answer.urgency else None,
            text,
        )

    async def today(self, chat_id: int) -> TodayView | None:
        """What is fine today and what is still on hold; None when not enrolled."""
        patient = await patient_lookup.find(self.deps, chat_id)
        if patient is None:
            return None
        allowed, on_hold = status_on(self.deps.engine.procedure(patient.procedure_id), patient.day)
        return TodayView(patient, allowed, on_hold)

    async def plan(self, chat_id: int) -> PlanView | None:
        """The procedure's timeline day by day; None when not enrolled."""
        patient = await patient_lookup.find(self.deps, chat_id)
        if patient is None:
            return None
        found = milestones(self.deps.engine.procedure(patient.procedure_id))
        days = [(day, list(group)) for day, group in groupby(found, key=lambda m: m.day)]
        return PlanView(patient, days)

    async def patient(self, chat_id: int) -> PatientView | None:
        """The patient of `chat_id`, if enrolled."""
        return await patient_lookup.find(self.deps, chat_id)
