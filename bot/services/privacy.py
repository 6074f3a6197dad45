"""Privacy and housekeeping: mute, forget, retention purges, processed updates."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlite_utils import Database

from bot.services.base import Deps
from bot.services.views import Forgotten
from bot.storage import invites, patients, questions, updates

UPDATE_MEMORY_DAYS = 7
QUESTION_ROW_DAYS = 365


class Privacy:
    """Use cases about the patient's data and the bot's own bookkeeping."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def set_muted(self, chat_id: int, muted: bool) -> bool:
        """Mute or unmute check-in messages; False when the chat has no patient."""
        return await self.deps.store.run(patients.set_flag, chat_id, "muted", muted)

    async def mark_unreachable(self, chat_id: int, unreachable: bool = True) -> bool:
        """Record that the patient blocked the bot (or came back)."""
        return await self.deps.store.run(patients.set_flag, chat_id, "unreachable", unreachable)

    async def forget(self, chat_id: int) -> Forgotten:
        """Delete the patient of `chat_id` and every row that names them."""
        return Forgotten(await self.deps.store.run(patients.forget, chat_id))

    async def claim_update(self, update_id: int) -> bool:
        """True the first time an update id is seen; False for a repeat (it must not be answered again)."""
        return await self.deps.store.run(updates.claim, update_id, self.deps.now_iso())

    def purge(self, db: Database) -> dict[str, int]:
        """Apply the retention limits (runs on the database thread); returns rows touched per kind."""
        now = self.deps.clock().astimezone(UTC)
        stamp = now.isoformat(timespec="seconds")

        def ago(days: int) -> str:
            return (now - timedelta(days=days)).isoformat(timespec="seconds")

        blanked, deleted = questions.purge(
            db, ago(self.deps.settings.question_retention_days), ago(QUESTION_ROW_DAYS)
        )
        return {
            "question_texts": blanked,
            "question_rows": deleted,
            "expired_invites": invites.purge_expired(db, stamp),
            "update_ids": updates.purge(db, ago(UPDATE_MEMORY_DAYS)),
        }
