"""A send-rate limiter for Telegram: at most N messages per second overall and one per second per chat.

Sends are spaced evenly (no bursts) and a sliding window guarantees that no `period` (plus a safety margin for
network jitter) holds more than `overall` sends. A 429's `retry_after` pauses every send. The clock and the
sleep function are injectable.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """Waits in `acquire(chat_id)` until a message to that chat may be sent."""

    def __init__(
        self,
        overall: int = 30,
        period: float = 1.0,
        per_chat_interval: float = 1.0,
        margin: float = 0.05,
        chat_margin: float = 0.25,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.overall = overall
        self.window = period + margin
        self.gap = self.window / overall
        self.chat_gap = per_chat_interval + chat_margin
        self.clock = clock
        self.sleep = sleep
        self._sent: deque[float] = deque()
        self._last = float("-inf")
        self._chat_reserved: dict[Hashable, float] = {}
        self._chat_sent: dict[Hashable, float] = {}
        self._paused_until = float("-inf")
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` from now (Telegram said "retry after")."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    @property
    def paused_until(self) -> float:
        """The clock value before which nothing is sent."""
        return self._paused_until

    async def acquire(self, chat_id: Hashable) -> float:
        """Wait for a free slot for `chat_id`; return the clock value the send is recorded at."""
        # Stage 1, per chat and without the shared lock: queue behind this chat's previous sends.
        now = self.clock()
        start = max(now, self._chat_reserved.get(chat_id, float("-inf")))
        self._chat_reserved[chat_id] = start + self.chat_gap
        if start > now:
            await self.sleep(start - now)
        # Stage 2, shared and in order: the overall window, the even spacing and any pause.
        async with self._lock:
            slept = False
            while True:
                now = self.clock()
                ready = max(
                    self._paused_until,
                    self._last + self.gap,
                    self._chat_sent.get(chat_id, float("-inf")) + self.chat_gap,
                )
                if len(self._sent) >= self.overall:
                    ready = max(ready, self._sent[-self.overall] + self.window)
                if ready <= now:
                    break
                await self.sleep(ready - now)
                slept = True
            # Slots are booked on the ideal timeline (the time we slept until), so the loop's wake-up lag
            # does not slow the rate down; the margin covers that lag.
            slot = ready if slept else now
            self._record(chat_id, slot)
            return slot

    def _record(self, chat_id: Hashable, now: float) -> None:
        self._sent.append(now)
        while len(self._sent) > self.overall:
            self._sent.popleft()
        self._last = now
        self._chat_sent[chat_id] = now
        if len(self._chat_sent) > 4096:
            stale = now - self.chat_gap
            self._chat_sent = {c: t for c, t in self._chat_sent.items() if t > stale}
            self._chat_reserved = {c: t for c, t in self._chat_reserved.items() if t > now}
