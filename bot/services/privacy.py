"""Privacy and housekeeping: mute, forget, retention purges, processed updates."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING

from sqlite_utils import Database

from bot.services.base import Deps
from bot.services.views import Forgotten
from bot.storage import alerts, invites, patients, questions, reports, updates

if TYPE_CHECKING:
    from bot.services.alerts import Alerts
    from bot.services.handoff import Handoffs

UPDATE_MEMORY_DAYS = 7
QUESTION_ROW_DAYS = 365
HANDOFF_DAYS = 30


class Privacy:
    """Use cases about the patient's data and the bot's own bookkeeping."""

    def __init__(
        self, deps: Deps, alert_service: Alerts | None = None, handoffs: Handoffs | None = None
    ) -> None:
        self.deps = deps
        self.alert_service = alert_service
        self.handoffs = handoffs

    async def set_muted(self, chat_id: int, muted: bool) -> bool:
        """Mute or unmute check-in messages; False when the chat has no patient."""
        return await self.deps.store.run(patients.set_flag, chat_id, "muted", muted)

    async def mark_unreachable(self, chat_id: int, unreachable: bool = True) -> bool:
        """Record that the patient blocked the bot (or came back)."""
        return await self.deps.store.run(patients.set_flag, chat_id, "unreachable", unreachable)

    async def forget(self, chat_id: int) -> Forgotten:
        """Delete the patient of `chat_id` and every row that names them."""
        counts = await self.deps.store.run(_forget, chat_id)
        if self.handoffs is not None:
            self.handoffs.forgotten(chat_id)
        return Forgotten(counts)

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
            "alert_words": self.alert_service.purge(db) if self.alert_service else 0,
            "handoffs": alerts.purge_closed(db, ago(HANDOFF_DAYS)),
            "inactive_patients": purge_inactive(
                db, now.date() - timedelta(self.deps.settings.patient_retention_days)
            ),
        }


def purge_inactive(db: Database, treated_before: date) -> int:
    """Retention: forget every patient whose last treatment was before `treated_before`, as /forget does."""
    chats = reports.inactive_patient_chats(db, treated_before)
    for chat_id in chats:
        _forget(db, chat_id)
    return len(chats)


def _forget(db: Database, chat_id: int) -> dict[str, int]:
    """Alerts and handoffs (which may exist without an enrolled patient) first, then the patient."""
    with db.atomic():
        counts = alerts.forget_chat(db, chat_id)
        for table, count in patients.forget(db, chat_id).items():
            counts[table] = counts.get(table, 0) + count
    return counts
