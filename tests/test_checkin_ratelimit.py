"""The send-rate limiter on a virtual clock: 30 per second overall, one per second per chat, pauses."""

from __future__ import annotations

import asyncio
import bisect
import itertools

from bot.telegram.ratelimit import RateLimiter


class VirtualTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def max_in_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered))


async def test_overall_and_per_chat_limits_hold() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(overall=30, clock=vt.clock, sleep=vt.sleep)
    chats = [i % 100 for i in range(300)] + [7] * 5  # 300 chats' messages, then a burst to one chat
    sent: dict[int, list[float]] = {}

    async def send(chat: int) -> None:
        slot = await limiter.acquire(chat)
        sent.setdefault(chat, []).append(slot)

    for chat in chats:
        await send(chat)
    every = [t for times in sent.values() for t in times]
    assert max_in_window(every, 1.0) <= 30
    for times in sent.values():
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))
    # The last window counts in full: the 300 sends take ten windows, the last one starting at the last send.
    rate = 300 / (sorted(every)[299] - sorted(every)[0] + limiter.window)
    # As fast as the window allows (30 per second less the safety margin), never faster.
    assert 0.98 * 30 / limiter.window <= rate <= 30 / limiter.window


async def test_a_pause_holds_every_chat() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(clock=vt.clock, sleep=vt.sleep)
    assert await limiter.acquire(1) == 0.0
    limiter.pause(3.0)
    assert await limiter.acquire(2) >= 3.0
    assert limiter.paused_until == 3.0


async def test_concurrent_acquirers_never_exceed_the_window() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(overall=30, clock=vt.clock, sleep=vt.sleep)
    slots = await asyncio.gather(*(limiter.acquire(i % 40) for i in range(200)))
    assert max_in_window(list(slots), 1.0) <= 30


async def test_a_group_gets_at_most_twenty_messages_a_minute() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(clock=vt.clock, sleep=vt.sleep)
    staff_chat = -100500
    group = [await limiter.acquire(staff_chat) for _ in range(45)]
    assert max_in_window(group, 60.0) <= 20
    assert group[20] >= group[0] + 60.0  # the 21st waits for the first to leave the minute
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(group))
    # A private chat is not limited that way: 25 messages to one person take about half a minute.
    private = [await limiter.acquire(42) for _ in range(25)]
    assert private[-1] - private[0] < 35.0


async def test_a_group_keeps_slots_of_its_minute_for_the_most_urgent() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(clock=vt.clock, sleep=vt.sleep)
    staff_chat = -100500
    routine = [await limiter.acquire(staff_chat, priority=1) for _ in range(17)]
    emergency = await limiter.acquire(staff_chat, priority=0)
    assert emergency - routine[-1] < 2.0  # not a minute later
    more_routine = await limiter.acquire(staff_chat, priority=1)
    assert more_routine >= routine[0] + 60.0  # routine alerts never use the reserve
    urgent = [await limiter.acquire(staff_chat, priority=0) for _ in range(3)]
    assert max_in_window([*routine, emergency, more_routine, *urgent], 60.0) <= 20
