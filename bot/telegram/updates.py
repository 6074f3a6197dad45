"""Update plumbing: answer each update at most once (even across restarts), one at a time per chat."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseUpdateProcessor, ContextTypes

from bot.services.privacy import Privacy

MAX_WAITING = 4096  # updates taken from Telegram but not handled yet (PTB's limit), beyond the running ones


def claimer(privacy: Privacy) -> Any:
    """A group -1 handler that records the update id first and stops updates already handled."""

    async def claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await privacy.claim_update(update.update_id):
            raise ApplicationHandlerStop

    return claim


class PerChatProcessor(BaseUpdateProcessor):
    """Handles many chats concurrently but the updates of one chat strictly in order.

    At most `max_running` updates are handled at a time. An update first waits for the earlier updates of
    its chat and only then for one of those slots, so a chat sending many messages at once holds one slot,
    not all of them, and other patients are answered meanwhile. PTB's own limit (the base class) only
    bounds how many updates may wait here.
    """

    def __init__(self, max_running: int = 8, max_waiting: int = MAX_WAITING) -> None:
        super().__init__(max(max_waiting, max_running))
        self._running = asyncio.Semaphore(max_running)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for earlier updates of the same chat, then for a free slot, then process this one."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._running:
                await coroutine
            return
        key = chat.id
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
