"""Staff hear once, in /alerts, of a message that may not have arrived (Telegram took it, but its answer came
too late) and of a patient who blocked the bot; the next /alerts does not list them again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.answer import Engine
from bot.storage import Store
from tests.bot_support import Bot, start_bot, stop_bot
from tests.checkin_support import make_bot, make_dispatcher
from tests.conftest import FakeClock
from tests.fakebotapi import FakeBotAPI

logging.getLogger("httpx").setLevel(logging.WARNING)

STAFF_CHAT = -100600
STAFF = 950
ANN, BOB = 811, 812
UNCERTAIN = "A message to Ann may not have arrived"
BLOCKED = "Bob has blocked the bot"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as srv:
        yield srv


async def staff_bot(server: FakeBotAPI, engine: Engine, db: Path, clock: FakeClock) -> Bot:
    return await start_bot(server, engine, db, clock, staff_chat_id=STAFF_CHAT, staff_ids=frozenset({STAFF}))


async def alerts(bot: Bot) -> str:
    """What /alerts in the staff chat says."""
    before = len(bot.server.sent_messages(STAFF_CHAT))
    bot.server.push_command(STAFF_CHAT, "/alerts", user_id=STAFF, first_name="Sam")
    [*_, reply] = await bot.server.wait_for_messages_async(STAFF_CHAT, before + 1)
    return reply.text or ""


async def test_an_uncertain_send_and_a_blocked_patient_are_listed_once(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db, clock = tmp_path / "bot.db", FakeClock(datetime(2026, 11, 23, 9, tzinfo=UTC))
    bot = await staff_bot(server, engine, db, clock)
    try:
        for chat, name in ((ANN, "Ann"), (BOB, "Bob")):
            await bot.say(chat, f"/start {bot.invite(days_ago=0, name=name).payload}")
        await bot.dispatch()  # their check-ins are planned
        assert await alerts(bot) == "No open alerts."
    finally:
        await stop_bot(bot)

    # The next morning's check-ins go out through a connection whose answers come too late for Ann (Telegram
    # took the message: it may well have arrived) while Bob has blocked the bot.
    clock.set(datetime(2026, 11, 24, 10, 0, 5, tzinfo=UTC))
    server.block(BOB)
    server.delay("sendMessage", 1.0, count=1)
    store = Store.open(db)
    try:
        async with make_bot(server.base_url, server.token, read_timeout=0.2) as slow:
            report = await make_dispatcher(store, slow, clock).run_once()
    finally:
        store.close()
    assert (report.uncertain, report.blocked) == (1, 1)
    assert len(server.sent_messages(ANN)) == 2  # the greeting and the check-in Telegram did take

    bot = await staff_bot(server, engine, db, clock)
    try:
        listed = await alerts(bot)
        assert listed.count(UNCERTAIN) == 1 and listed.count(BLOCKED) == 1, listed
        assert listed.startswith("Also for you to check (shown once):\n")  # no alerts: no blank line above
        again = await alerts(bot)
        assert UNCERTAIN not in again and BLOCKED not in again
        assert again == "No open alerts."
        # Neither is resent: Ann's check-in stays uncertain, Bob's are skipped while he blocks the bot.
        clock.set(datetime(2026, 11, 24, 12, tzinfo=UTC))
        await bot.dispatch()
        assert len(server.sent_messages(ANN)) == 2 and server.sent_messages(BOB)[1:] == []
    finally:
        await stop_bot(bot)
        server.unblock(BOB)
    assert bot.errors == []
