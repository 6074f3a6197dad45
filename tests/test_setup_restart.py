"""The set-up of someone without a link (procedure, kind, date, time zone; buttons or typing) is kept in the
database: the bot restarting between any two steps does not make them start over."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.answer import Engine
from tests.bot_support import Bot, start_bot, stop_bot
from tests.fakebotapi import Call, FakeBotAPI

logging.getLogger("httpx").setLevel(logging.WARNING)

ZONES = ("America/New_York",)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as srv:
        yield srv


def buttons(call: Call) -> list[str]:
    markup = call.reply_markup or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def press(server: FakeBotAPI, chat: int, data: str) -> Call:
    """Press a button on the bot's latest message; the edit that answers it."""
    mark = server.mark()
    server.push_callback(chat, data)
    return await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)


async def restart(bot: Bot, server: FakeBotAPI, engine: Engine, db: Path) -> Bot:
    await stop_bot(bot)
    assert bot.errors == []
    return await start_bot(server, engine, db, bot.clock, extra_timezones=ZONES)


async def test_a_set_up_survives_a_restart_between_every_step(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db, chat = tmp_path / "bot.db", 601
    bot = await start_bot(server, engine, db, extra_timezones=ZONES)
    try:
        [ask] = await bot.say(chat, "/start")
        assert "p:chemical_peel" in buttons(ask)
        kind = await press(server, chat, "p:chemical_peel")
        assert "v:chemical_peel:medium" in buttons(kind)

        bot = await restart(bot, server, engine, db)
        when = await press(server, chat, "v:chemical_peel:medium")
        assert "When did you have your chemical peel?" in (when.text or "")

        bot = await restart(bot, server, engine, db)
        [zone] = await bot.say(chat, "21 November")  # typed instead of a button
        assert buttons(zone) == ["z:0:chemical_peel:20261121", "z:1:chemical_peel:20261121"]
        assert bot.rows("SELECT COUNT(*) FROM patients") == [(0,)]

        bot = await restart(bot, server, engine, db)
        done = await press(server, chat, "z:1:chemical_peel:20261121")
        assert "You are on day 2 after your chemical peel" in (done.text or "")
        assert bot.rows("SELECT procedure, variant, treated_on FROM treatments") == [
            ("chemical_peel", "medium", "2026-11-21")  # the kind picked two restarts ago
        ]
        assert bot.rows("SELECT chat_id, timezone FROM patients") == [(chat, "America/New_York")]
        assert bot.rows("SELECT COUNT(*) FROM setups") == [(0,)]  # set-up over: nothing left behind
    finally:
        await stop_bot(bot)
    assert bot.errors == []


async def test_a_typed_date_after_a_restart_completes_the_procedure_picked_before_it(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db, chat = tmp_path / "bot.db", 602
    bot = await start_bot(server, engine, db)
    try:
        await bot.say(chat, "/start")
        await press(server, chat, "p:dermal_filler")
        await press(server, chat, "v:dermal_filler:_")  # "not sure" of the kind
        await stop_bot(bot)
        assert bot.errors == []
        bot = await start_bot(server, engine, db, bot.clock)
        [greeting] = await bot.say(chat, "22/11/2026")
        assert "You are on day 1 after your dermal filler" in (greeting.text or "")
        assert bot.rows("SELECT procedure, treated_on FROM treatments") == [("dermal_filler", "2026-11-22")]
    finally:
        await stop_bot(bot)
    assert bot.errors == []
