"""Human handoff: a patient's conversation is relayed to the staff chat until either side closes it.
Runs on the database thread inside the caller's transaction; every message goes through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from bot.services import patients as lookup
from bot.services.base import Deps
from bot.services.outcome import MAX_CAPTION, MAX_TEXT, Action, Message, Outcome
from bot.services.queue import handle_update
from bot.services.views import PatientView
from bot.services.wording import Wording
from bot.storage import handoffs, outbox, patients, setups
from bot.storage.handoffs import OpenedBy


@dataclass(frozen=True)
class Incoming:
    """A patient's message as the adapter read it: text, or another kind with its message id (to copy)."""

    chat_id: int
    user_id: int | None
    first_name: str | None
    text: str | None
    message_id: int | None = None
    media: bool = False
    """A photo, document or video: copied to staff with the header as its caption."""
    caption: str | None = None


class Handoffs:
    """Use cases of the human handoff."""

    def __init__(self, deps: Deps, wording: Wording) -> None:
        self.deps = deps
        self.wording = wording

    @property
    def staff_chat(self) -> int | None:
        """The clinic's staff group, if configured."""
        return self.deps.config.staff_chat_id

    def is_open(self, db: Database, chat_id: int) -> bool:
        """Whether `chat_id` is talking to a person right now (and a staff chat can take them)."""
        return self.staff_chat is not None and handoffs.is_open(db, chat_id)

    def open(self, db: Database, chat_id: int, by: OpenedBy, first_name: str | None) -> list[Message] | None:
        """Open a handoff and tell both sides; None when one was open already (or there is no staff chat)."""
        if self.staff_chat is None:
            return None
        patient = patients.get_patient(db, chat_id)
        if not handoffs.open_handoff(db, chat_id, patient.id if patient else None, by, self.deps.now()):
            return None
        view = lookup.find(self.deps, db, chat_id)
        header = Message(
            self.staff_chat, self.wording.handoff_opened(view, first_name), about_chat_id=chat_id
        )
        if by is OpenedBy.STAFF:
            return [header, Message(chat_id, self.wording.text("human_joined"))]
        return [header]

    def relay(self, db: Database, incoming: Incoming) -> list[Message]:
        """A patient's message during a handoff, for the staff chat (a staff reply to it reaches them)."""
        staff = self.staff_chat
        if staff is None:
            return []
        view = lookup.find(self.deps, db, incoming.chat_id)
        name, chat = incoming.first_name, incoming.chat_id
        if incoming.text is not None:
            text = self.wording.relayed(view, name, incoming.text, MAX_TEXT)
            return [Message(staff, text, about_chat_id=chat)]
        if incoming.media and incoming.message_id is not None:
            caption = self.wording.relayed(view, name, incoming.caption, MAX_CAPTION)
            return [Message(staff, caption, action=Action.COPY, message_id=incoming.message_id,
                            from_chat_id=chat, about_chat_id=chat)]  # fmt: skip
        header = Message(staff, self.wording.header(view, name), about_chat_id=chat)
        if incoming.message_id is None:
            return [header]
        copied = Message(
            staff, action=Action.COPY, message_id=incoming.message_id, from_chat_id=chat, about_chat_id=chat
        )
        return [header, copied]

    def close(self, db: Database, chat_id: int) -> PatientView | bool | None:
        """Close the handoff of `chat_id`: False when there was none, else the patient's view (or None)."""
        if not handoffs.close_handoff(db, chat_id, self.deps.now()):
            return False
        return lookup.find(self.deps, db, chat_id)

    def owner(self, db: Database, message_id: int) -> int | None:
        """The patient chat a staff-chat message is about."""
        if self.staff_chat is None:
            return None
        return outbox.about(db, self.staff_chat, message_id)


class HandoffDoor:
    """The handoff's use cases as the adapter calls them: one call per update, one transaction."""

    def __init__(self, deps: Deps, wording: Wording, handoffs: Handoffs) -> None:
        self.deps = deps
        self.wording = wording
        self.handoffs = handoffs

    async def request(self, update_id: int, chat_id: int, first_name: str | None) -> Outcome:
        """`/human`: the patient asks for a person."""
        return await self.deps.store.run(self._once, update_id, lambda db: self.ask(db, chat_id, first_name))

    def ask(self, db: Database, chat_id: int, first_name: str | None) -> list[Message]:
        """Open a handoff for the patient (also the "Talk to a person" button)."""
        if self.handoffs.staff_chat is None:
            return [Message(chat_id, self.wording.text("human_unavailable"))]
        if patients.get_patient(db, chat_id) is None and setups.get(db, chat_id) is None:
            # Someone not enrolled cannot fill the staff chat with conversations; urgent help is a call away.
            return [Message(chat_id, self.wording.text("human_not_enrolled"))]
        opened = self.handoffs.open(db, chat_id, OpenedBy.PATIENT, first_name)
        reply = Message(chat_id, self.wording.text("human_opened" if opened else "human_already"))
        return [reply, *(opened or [])]

    async def patient_done(self, update_id: int, chat_id: int, first_name: str | None) -> Outcome:
        """`/done` from the patient: the bot answers again."""

        def done(db: Database) -> list[Message]:
            closed = self.handoffs.close(db, chat_id)
            if closed is False:
                return [Message(chat_id, self.wording.text("human_none"))]
            out = [Message(chat_id, self.wording.text("human_closed"))]
            staff = self.handoffs.staff_chat
            if staff is not None:
                view = closed if isinstance(closed, PatientView) else None
                name = self.wording.patient_name(view, first_name)
                out.append(Message(staff, self.wording.staff("handoff_patient_closed", name=name)))
            return out

        return await self.deps.store.run(self._once, update_id, done)

    async def staff_reply(
        self, update_id: int, replied_to: int, text: str | None, message_id: int
    ) -> Outcome:
        """A staff member's reply to a message about a patient reaches that patient (while their handoff is
        open); a reply to anything else is staff talking among themselves."""

        def reply(db: Database) -> list[Message]:
            staff = self.handoffs.staff_chat
            chat_id = self.handoffs.owner(db, replied_to)
            if staff is None or chat_id is None:
                return []
            if not handoffs.is_open(db, chat_id):
                return [Message(staff, self.wording.staff("handoff_not_open"))]
            if text is not None:
                words = self.wording.text("from_clinic", text=text)[:MAX_TEXT]
                return [Message(chat_id, words)]
            return [Message(chat_id, action=Action.COPY, message_id=message_id, from_chat_id=staff)]

        return await self.deps.store.run(self._once, update_id, reply)

    async def staff_done(self, update_id: int, replied_to: int | None) -> Outcome:
        """`/done` in the staff chat, as a reply to one of the patient's messages: close their handoff."""

        def done(db: Database) -> list[Message]:
            staff = self.handoffs.staff_chat
            if staff is None:
                return []
            chat_id = self.handoffs.owner(db, replied_to) if replied_to is not None else None
            if chat_id is None:
                return [Message(staff, self.wording.staff("done_usage"))]
            closed = self.handoffs.close(db, chat_id)
            if closed is False:
                return [Message(staff, self.wording.staff("handoff_not_open"))]
            view = closed if isinstance(closed, PatientView) else None
            name = self.wording.patient_name(view, None)
            return [
                Message(staff, self.wording.staff("handoff_closed", name=name)),
                Message(chat_id, self.wording.text("human_closed_by_staff")),
            ]

        return await self.deps.store.run(self._once, update_id, done)

    def _once(self, db: Database, update_id: int, work: Callable[[Database], list[Message]]) -> Outcome:
        return handle_update(db, self.deps.now(), update_id, lambda: Outcome(tuple(work(db))))
