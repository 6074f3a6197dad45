"""Human handoff: a patient's conversation is relayed to the staff chat until either side closes it.

Which chats are in a handoff is cached in memory (one bot process per database, see `instance_lock`), so an
ordinary message costs no extra query; the database stays the truth at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from bot.services import patients as patient_lookup
from bot.services.base import Deps
from bot.services.views import PatientView
from bot.storage import alerts, patients


@dataclass(frozen=True)
class Handoff:
    """A handoff for the front end: the patient's chat, their view (if enrolled), whether it is new."""

    chat_id: int
    patient: PatientView | None
    opened: bool


class Handoffs:
    """Use cases of the human handoff."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._open: set[int] | None = None

    async def load(self) -> None:
        """Read the open handoffs (at start-up)."""
        self._open = await self.deps.store.run(alerts.open_handoff_chats)

    async def is_open(self, chat_id: int) -> bool:
        """Whether `chat_id` is talking to a person right now."""
        if self._open is None:
            await self.load()
        assert self._open is not None
        return chat_id in self._open

    async def open(self, chat_id: int, opened_by: str) -> Handoff:
        """Open a handoff for `chat_id` (by 'patient' or 'staff'); `opened` is False if one was open."""
        opened = await self.deps.store.run(self._open_row, chat_id, opened_by)
        if self._open is None:
            await self.load()
        assert self._open is not None
        self._open.add(chat_id)
        return Handoff(chat_id, await patient_lookup.find(self.deps, chat_id), opened)

    def _open_row(self, db: Database, chat_id: int, opened_by: str) -> bool:
        patient = patients.get_patient(db, chat_id)
        return alerts.open_handoff(db, chat_id, patient.id if patient else None, opened_by, self.deps.clock())

    async def close(self, chat_id: int) -> Handoff | None:
        """Close the handoff of `chat_id`; None when there was none."""
        closed = await self.deps.store.run(alerts.close_handoff, chat_id, self.deps.clock())
        if self._open is not None:
            self._open.discard(chat_id)
        if not closed:
            return None
        return Handoff(chat_id, await patient_lookup.find(self.deps, chat_id), False)

    async def who(self, chat_id: int) -> PatientView | None:
        """The patient of `chat_id`, for a header."""
        return await patient_lookup.find(self.deps, chat_id)

    async def remember(self, staff_chat_id: int, message_id: int, chat_id: int) -> None:
        """Note that a staff-chat message belongs to the handoff of `chat_id` (so replies reach them)."""
        await self.deps.store.run(
            alerts.remember_message, staff_chat_id, message_id, chat_id, self.deps.clock()
        )

    async def owner(self, staff_chat_id: int, message_id: int) -> tuple[int, bool] | None:
        """The patient chat behind a staff-chat message, and whether their handoff is open."""
        return await self.deps.store.run(alerts.message_owner, staff_chat_id, message_id)

    def forgotten(self, chat_id: int) -> None:
        """/forget removed the chat's rows: drop it from the cache too."""
        if self._open is not None:
            self._open.discard(chat_id)
