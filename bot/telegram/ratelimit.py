"""A send-rate limiter for Telegram: at most N messages per second overall, one per second per chat, and at
most 20 a minute in a group (a negative chat id, e.g. the staff chat).

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
        group_limit: int = 20,
        group_period: float = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.overall = overall
        self.window = period + margin
        self.gap = self.window / overall
        self.chat_gap = per_chat_interval + chat_margin
        self.group_limit = group_limit
        self.group_window = group_period + chat_margin
        self.clock = clock
        self.sleep = sleep
        self._sent: deque[float] = deque()
        self._last = float("-inf")
        self._chat_reserved: dict[Hashable, float] = {}
        self._chat_sent: dict[Hashable, float] = {}
        self._group_reserved: dict[Hashable, deque[float]] = {}
        self._paused_until = float("-inf")
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` from now (Telegram said "retry after")."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    @property
    def paused_until(self) -> float:
        """The clock value before which nothing is sent."""
        return self._paused_until

    async def acquire(self, chat_id: Hashable, priority: int = 0) -> float:
        """Wait for a free slot for `chat_id`; return the clock value the send is recorded at."""
        # Stage 1, per chat and without the shared lock: queue behind this chat's previous sends.
        now = self.clock()
        start = max(now, self._chat_reserved.get(chat_id, float("-inf")))
        if isinstance(chat_id, int) and chat_id < 0:  # a group: no more than `group_limit` a window
            group = self._group_reserved.setdefault(chat_id, deque(maxlen=self.group_limit))
            if len(group) >= self.group_limit:
                start = max(start, group[0] + self.group_window)
            group.append(start)
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
