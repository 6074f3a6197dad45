"""Privacy and housekeeping: mute, forget, reachability, retention purges."""

from __future__ import annotations

from datetime import date, timedelta

from sqlite_utils import Database

from bot.core.checkins import SkipReason
from bot.services.alerts import Alerts
from bot.services.base import Deps
from bot.services.outcome import NOTHING, Action, Message, Outcome
from bot.services.queue import enqueue, fresh_origin, handle_update
from bot.services.views import Forgotten
from bot.services.wording import Wording
from bot.storage import (
    checkpoint,
    handoffs,
    invites,
    outbox,
    patients,
    questions,
    reports,
    setups,
    staff_events,
    transaction,
    updates,
)
from bot.storage.staff_events import NoticeKind
from bot.storage.stamps import seconds

UPDATE_MEMORY_DAYS = 7
QUESTION_ROW_DAYS = 365
HANDOFF_DAYS = 30
SETUP_DAYS = 30


class Privacy:
    """Use cases about the patient's data and the bot's own bookkeeping."""

    def __init__(self, deps: Deps, wording: Wording, alerts: Alerts) -> None:
        self.deps = deps
        self.wording = wording
        self.alerts = alerts

    async def mute(self, update_id: int, chat_id: int, muted: bool) -> Outcome:
        """`/mute` and `/unmute`. Unmuting resumes only future check-ins: those whose time passed while muted
        are skipped first."""
        return await self.deps.store.run(self._mute, update_id, chat_id, muted)

    def _mute(self, db: Database, update_id: int, chat_id: int, muted: bool) -> Outcome:
        now = self.deps.now()

        def work() -> Outcome:
            patient = patients.get_patient(db, chat_id)
            if patient is not None and not muted and patient.muted:
                outbox.skip_pending(db, SkipReason.MUTED, now, patient_id=patient.id, due_by=now)
            found = patients.set_muted(db, chat_id, muted)
            key = ("mute" if muted else "unmute") if found else "not_enrolled"
            return Outcome((Message(chat_id, self.wording.text(key)),))

        return handle_update(db, now, update_id, work)

    async def ask_forget(self, update_id: int, chat_id: int) -> Outcome:
        """`/forget`: ask for confirmation first (nothing is deleted yet)."""
        return await self.deps.store.run(self._ask_forget, update_id, chat_id)

    def _ask_forget(self, db: Database, update_id: int, chat_id: int) -> Outcome:
        text, keyboard = self.wording.forget_confirm()
        return handle_update(
            db, self.deps.now(), update_id, lambda: Outcome((Message(chat_id, text, keyboard),))
        )

    def forget(self, db: Database, chat_id: int) -> Forgotten:
        """Delete everything about `chat_id`: alerts and their messages, handoffs, set-up, unhandled updates,
        messages to or about them, then the patient (every row naming them goes with them)."""
        with transaction(db):
            counts = self.alerts.forget_chat(db, chat_id)
            for table, count in (
                ("handoffs", handoffs.forget_chat(db, chat_id)),
                ("setups", setups.clear(db, chat_id)),
                ("inbox", updates.forget_chat(db, chat_id)),
                ("outbox", outbox.delete_for_chat(db, chat_id)),
                *patients.forget(db, chat_id).items(),
            ):
                if count:
                    counts[table] = counts.get(table, 0) + count
        return Forgotten(counts)

    def confirm_forget(
        self, db: Database, chat_id: int, message_id: int | None, confirmed: bool
    ) -> list[Message]:
        """The answer to the /forget buttons: what was deleted, or that nothing was."""
        text = (
            self.wording.forgotten(self.forget(db, chat_id))
            if confirmed
            else self.wording.text("forget_cancelled")
        )
        if message_id is None:
            return [Message(chat_id, text)]
        return [Message(chat_id, text, action=Action.EDIT, message_id=message_id)]

    def after_forget(self, db: Database) -> None:
        """Outside the transaction: empty the write-ahead log, so forgotten words do not linger there."""
        checkpoint(db)

    async def reachable(self, update_id: int, chat_id: int, reachable: bool) -> Outcome:
        """The patient blocked (or unblocked) the bot."""
        return await self.deps.store.run(self._reachable, update_id, chat_id, reachable)

    def _reachable(self, db: Database, update_id: int, chat_id: int, reachable: bool) -> Outcome:
        def work() -> Outcome:
            patient = patients.get_patient(db, chat_id)
            if patient is not None and reachable:
                self.mark_reachable(db, patient.id)
            elif patient is not None:
                self.mark_unreachable(db, patient.id, None)
            return NOTHING

        return handle_update(db, self.deps.now(), update_id, work)

    def mark_unreachable(self, db: Database, patient_id: int, outbox_id: int | None) -> bool:
        """The patient blocked the bot: flag them, skip their pending check-ins, and tell staff once (in
        /alerts). True the first time."""
        now = self.deps.now()
        with transaction(db):
            if not patients.set_unreachable(db, patient_id, True):
                return False
            outbox.skip_pending(db, SkipReason.UNREACHABLE, now, patient_id=patient_id)
            staff_events.record(
                db,
                NoticeKind.UNREACHABLE,
                outbox.key("unreachable", patient_id, now.isoformat()),
                now,
                patient_id=patient_id,
                outbox_id=outbox_id,
            )
        return True

    def refused(self, db: Database, chat_id: int, patient_id: int, outbox_id: int) -> None:
        """Telegram refused a message to the patient's own chat (they blocked the bot): unreachable; while a
        person is talking with them, the staff chat hears at once that their reply did not arrive."""
        with transaction(db):
            self.mark_unreachable(db, patient_id, outbox_id)
            staff_chat = self.deps.config.staff_chat_id
            if staff_chat is None or not handoffs.is_open(db, chat_id):
                return
            patient = patients.get_patient_by_id(db, patient_id)
            name = self.wording.name(patient.name if patient else None, patient_id)
            note = Message(
                staff_chat, self.wording.staff("handoff_undelivered", name=name), about_chat_id=chat_id
            )
            enqueue(db, [note], self.deps.now(), fresh_origin())

    def mark_reachable(self, db: Database, patient_id: int) -> None:
        """The patient unblocked the bot: their future check-ins, skipped while blocked, are sent again."""
        with transaction(db):
            patients.set_unreachable(db, patient_id, False)
            outbox.resume_skipped(db, patient_id, SkipReason.UNREACHABLE, self.deps.now())

    def purge(self, db: Database) -> dict[str, int]:
        """Apply the retention limits; returns rows touched per kind. The log is emptied afterwards."""
        now = self.deps.now()
        config = self.deps.config

        def ago(days: int) -> str:
            return seconds(now - timedelta(days=days))

        with transaction(db):
            blanked, deleted = questions.purge(
                db, ago(config.question_retention_days), ago(QUESTION_ROW_DAYS)
            )
            done = {
                "question_texts": blanked,
                "question_rows": deleted,
                "expired_invites": invites.purge_expired(db, seconds(now)),
                "update_ids": updates.purge(db, ago(UPDATE_MEMORY_DAYS)),
                "message_words": outbox.drop_spent_payloads(db),
                "old_messages": outbox.purge_messages(db, now - timedelta(days=HANDOFF_DAYS)),
                "handoffs": handoffs.purge_closed(db, ago(HANDOFF_DAYS)),
                "setups": setups.purge(db, now - timedelta(days=SETUP_DAYS)),
                "inactive_patients": self._purge_inactive(
                    db, now.date() - timedelta(config.patient_retention_days)
                ),
            }
        checkpoint(db)
        return done

    def _purge_inactive(self, db: Database, treated_before: date) -> int:
        """Retention: forget every patient last treated before `treated_before`, as /forget does."""
        chats = reports.inactive_patient_chats(db, treated_before)
        for chat_id in chats:
            self.forget(db, chat_id)
        return len(chats)
