"""The inbox of updates: stored as they arrive, handed out again after a crash, settled when no use case took
them (a message in a group the bot ignores), so nothing a patient sends is lost and nothing is done twice."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from bot.services.base import Deps
from bot.storage import transaction, updates
from bot.storage.stamps import seconds


@dataclass(frozen=True)
class Arrived:
    """An update as Telegram sent it: its id, its chat (if any) and its JSON."""

    update_id: int
    chat_id: int | None
    raw: str


class Inbox:
    """Use cases of the update inbox."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def receive(self, items: list[Arrived]) -> int:
        """Store arriving updates before Telegram is told they arrived; how many were new."""
        received = [updates.Received(i.update_id, i.chat_id, i.raw) for i in items]

        def store(db: Database) -> int:
            with transaction(db):
                return updates.receive(db, received, seconds(self.deps.now()))

        return await self.deps.store.run(store)

    async def waiting(self) -> list[Arrived]:
        """Updates received but never handled (a crash came in between), to be handled now."""
        found = await self.deps.store.run(updates.waiting)
        return [Arrived(r.update_id, r.chat_id, r.raw) for r in found]

    async def settle(self, update_id: int) -> bool:
        """Mark an update handled that no use case took (True when it was still open)."""

        def settle(db: Database) -> bool:
            with transaction(db):
                return updates.claim(db, update_id, seconds(self.deps.now()))

        return await self.deps.store.run(settle)
