"""Bursts over the fake Bot API with Telegram's limits enforced (30 a second, one a second per chat, 20 a
minute per group) and the real, Telegram-sized rate limiter: nothing is lost, the most urgent goes first."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bot.storage import handoffs
from bot.storage.handoffs import OpenedBy
from bot.telegram.ratelimit import RateLimiter
from tests.bot_support import start_bot, stop_bot
from tests.checkin_support import add_patient, shipped_engine
from tests.conftest import FakeClock
from tests.fakebotapi import FakeBotAPI

STAFF_CHAT = -100500
STAFF = 900
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CROWD = range(30_000, 30_040)
FALLBACK = "something went wrong"


async def _bot_with_patients(server: FakeBotAPI, db: Path, chats: range) -> object:
    server.enforce_limits(overall_per_second=30, per_chat_per_second=1, per_group_per_minute=20)
    bot = await start_bot(
        server,
        shipped_engine(),
        db,
        FakeClock(MONDAY_NOON),
        limiter=RateLimiter(),
        staff_chat_id=STAFF_CHAT,
        staff_ids=frozenset({STAFF}),
    )
    for chat in chats:  # treated two days ago
        add_patient(bot.store, chat, date(2026, 11, 21), timezone="UTC")
    return bot


async def test_forty_warning_signs_in_two_seconds_are_all_answered(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    bot = await _bot_with_patients(server, tmp_path / "bot.db", CROWD)
    try:
        for chat in CROWD:
            server.push_text(chat, "there is pus coming out and i have a fever")
            await asyncio.sleep(2.0 / len(CROWD))
        for chat in CROWD:
            [reply] = await server.wait_for_messages_async(chat, 1, timeout=20.0)
            assert FALLBACK not in reply.text.lower()
            assert "today" in reply.text.lower() or "call" in reply.text.lower(), reply.text
        assert server.too_many_requests == 0
    finally:
        await stop_bot(bot)
    assert bot.errors == []


async def test_an_emergency_overtakes_forty_queued_alerts(server: FakeBotAPI, tmp_path: Path) -> None:
    bot = await _bot_with_patients(server, tmp_path / "bot.db", range(30_000, 30_041))
    try:
        for chat in CROWD:  # forty same-day alerts: two minutes of the staff chat's limit
            server.push_text(chat, "there is pus coming out and i have a fever")
        # Routine and same-day alerts have used their share of the group's minute (20 less a reserve of 3).
        await server.wait_for_messages_async(STAFF_CHAT, 17, timeout=40.0)
        asked = time.monotonic()
        server.push_text(30_040, "I can't breathe and my throat is swelling")
        while True:
            staff = server.sent_messages(STAFF_CHAT)
            emergency = [m for m in staff if "breathe" in m.text.lower()]
            if emergency:
                break
            assert time.monotonic() - asked < 10.0, "the emergency waited behind the queued alerts"
            await asyncio.sleep(0.05)
        assert emergency[0].time - asked < 10.0
        assert len(staff) < len(CROWD), "the emergency went out after the queue"
        assert server.too_many_requests == 0
    finally:
        await stop_bot(bot)
    assert bot.errors == []


async def test_five_handoff_relays_in_one_second_are_all_delivered(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    chats = range(31_000, 31_005)
    bot = await _bot_with_patients(server, tmp_path / "bot.db", chats)
    try:

        def open_all(db: object) -> None:
            for chat in chats:
                handoffs.open_handoff(db, chat, None, OpenedBy.PATIENT, MONDAY_NOON)  # type: ignore[arg-type]

        bot.store.call(open_all)
        for n, chat in enumerate(chats):
            server.push_text(chat, f"a question for the nurse, number {n}")
            await asyncio.sleep(0.2)
        relayed = await server.wait_for_messages_async(STAFF_CHAT, len(chats), timeout=20.0)
        assert sorted(n for n in range(5) if any(f"number {n}" in m.text for m in relayed)) == [0, 1, 2, 3, 4]
        await bot.settled(timeout=10.0)
        for chat in chats:  # no fallback, and no bot answer while a person has the chat
            assert server.sent_messages(chat) == []
        assert server.too_many_requests == 0
    finally:
        await stop_bot(bot)
    assert bot.errors == []
