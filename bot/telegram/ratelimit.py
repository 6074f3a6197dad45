"""A send-rate limiter for Telegram: at most N messages per second overall, one per second per chat, and at
most 20 a minute in a group (a negative chat id, e.g. the staff chat).

A sliding window guarantees that no `period` (plus a safety margin for network jitter) holds more than
`overall` sends; within it, a send goes out at once (like PTB's own limiter, so a quiet bot answers without
delay, and a busy one at the full rate). In a group, the last few slots of each minute are kept for
the most urgent sends (priority 0: crisis and emergency), so a queue of routine alerts never makes an
emergency wait for the minute to pass. A 429's `retry_after` pauses every send. Clock and sleep are
injectable.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

MOST_URGENT = 0
"""The priority that may use a group's reserved slots (the outbox's TOP)."""


class RateLimiter:
    """Waits in `acquire(chat_id, priority)` until a message to that chat may be sent."""

    def __init__(
        self,
        overall: int = 30,
        period: float = 1.0,
        per_chat_interval: float = 1.0,
        margin: float = 0.25,
        chat_margin: float = 0.25,
        group_limit: int = 20,
        group_period: float = 60.0,
        group_reserve: int = 3,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not 0 <= group_reserve < group_limit:
            raise ValueError("group_reserve must be at least 0 and below group_limit")
        self.overall = overall
        self.window = period + margin
        self.chat_gap = per_chat_interval + chat_margin
        self.group_limit = group_limit
        self.group_window = group_period + chat_margin
        self.group_reserve = group_reserve
        self.clock = clock
        self.sleep = sleep
        self._sent: deque[float] = deque()
        self._chat_sent: dict[Hashable, float] = {}
        self._group_sent: dict[Hashable, deque[float]] = {}
        self._paused_until = float("-inf")
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` from now (Telegram said "retry after")."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    @property
    def paused_until(self) -> float:
        """The clock value before which nothing is sent."""
        return self._paused_until

    def _chat_ready(self, chat_id: Hashable, priority: int) -> float:
        """When this chat may have its next message, by its own limits (per chat, and per group minute)."""
        ready = self._chat_sent.get(chat_id, float("-inf")) + self.chat_gap
        group = self._group_sent.get(chat_id)
        if group is not None:
            allowed = self.group_limit if priority <= MOST_URGENT else self.group_limit - self.group_reserve
            if len(group) >= allowed:
                ready = max(ready, group[-allowed] + self.group_window)
        return ready

    async def acquire(self, chat_id: Hashable, priority: int = 1) -> float:
        """Wait for a free slot for `chat_id`; return the clock value the send is recorded at."""
        while True:
            # Per chat, without the shared lock: a chat at its limit does not hold the others up.
            now = self.clock()
            ready = self._chat_ready(chat_id, priority)
            if ready > now:
                await self.sleep(ready - now)
                continue
            # Shared and in order: the overall window and any pause.
            async with self._lock:
                while True:
                    now = self.clock()
                    if self._chat_ready(chat_id, priority) > now:
                        break  # another send to this chat went first: wait for the chat again
                    ready = self._paused_until
                    if len(self._sent) >= self.overall:
                        ready = max(ready, self._sent[-self.overall] + self.window)
                    if ready <= now:
                        # Booked at the real time, never at the earlier time we meant to wake: a busy loop
                        # that wakes late must not let the next sends catch up into one burst.
                        self._record(chat_id, now)
                        return now
                    await self.sleep(ready - now)

    def _record(self, chat_id: Hashable, now: float) -> None:
        self._sent.append(now)
        while len(self._sent) > self.overall:
            self._sent.popleft()
        self._chat_sent[chat_id] = now
        if isinstance(chat_id, int) and chat_id < 0:
            self._group_sent.setdefault(chat_id, deque(maxlen=self.group_limit)).append(now)
        if len(self._chat_sent) > 4096:
            stale = now - self.chat_gap
            self._chat_sent = {c: t for c, t in self._chat_sent.items() if t > stale}
