"""Update plumbing: every update is written to the inbox before Telegram is told it arrived (so a crash
cannot lose it), and the updates of one chat are handled strictly in order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor, ExtBot

MAX_WAITING = 4096  # updates taken from Telegram but not handled yet (PTB's limit), beyond the running ones

OnReceived = Callable[[Sequence[Update]], Awaitable[None]]


class InboxBot(ExtBot[Any]):
    """The Application's bot, which hands every batch of updates to `on_received` (the inbox) before
    returning it: PTB confirms a batch to Telegram when it asks for the next one, by then it is stored."""

    __slots__ = ("_on_received",)

    def __init__(self, *args: Any, on_received: OnReceived, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_received = on_received

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """getUpdates, with the updates stored first."""
        found = await super().get_updates(*args, **kwargs)
        if found:
            await self._on_received(found)
        return found


def raw(update: Update) -> str:
    """An update as Telegram sent it (to be read again after a restart)."""
    return json.dumps(update.to_dict(), ensure_ascii=False)


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
