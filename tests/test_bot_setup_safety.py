"""Review findings on the patient side, end to end (the real Application over HTTP against the fake Bot API):
warning signs during set-up, alerts that do not depend on the reply, expired buttons, time zones behind the
clinic's, one busy chat not holding up the others, and 403s from a chat other than the patient's."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.core.answer import Engine
from tests.bot_support import Bot, FakeClock, start_bot, stop_bot
from tests.fakebotapi import Call, FakeBotAPI

logging.getLogger("httpx").setLevel(logging.WARNING)

EMERGENCY_TEXTS = ("cant breathe", "throat closing up")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as srv:  # strict: answering an unknown or expired callback query gives 400
        yield srv


def buttons(call: Call) -> list[str]:
    markup = call.reply_markup or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def press(server: FakeBotAPI, chat_id: int, data: str) -> Call:
    """Press a button on the bot's latest message; the edited message."""
    mark = server.mark()
    server.push_callback(chat_id, data)
    return await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)


def push_expired_callback(server: FakeBotAPI, chat_id: int, data: str) -> None:
    """A button press whose query Telegram no longer knows (answered too late): answering it gives 400."""
    message = [m for m in server.chat_history(chat_id) if m.get("from", {}).get("id") == server.bot_id][-1]
    user = {"id": chat_id, "is_bot": False, "first_name": "Pat"}
    query = {"id": f"expired-{chat_id}-{data}", "from": user, "message": message, "chat_instance": "ci"}
    server.push_update({"callback_query": {**query, "data": data}})


# --- 1. a warning sign typed while the bot waits for the treatment date -------------------------------------


@pytest.mark.parametrize("text", EMERGENCY_TEXTS)
async def test_a_warning_sign_during_set_up_gets_the_safety_reply_and_an_alert(
    server: FakeBotAPI, bot: Bot, engine: Engine, text: str
) -> None:
    assert engine.screen(text, "microneedling", None) is not None  # the premise: a warning sign
    chat = 301 + EMERGENCY_TEXTS.index(text)
    await bot.say(chat, "/start")
    ask = await press(server, chat, "p:microneedling")
    assert "When did you have your microneedling?" in (ask.text or "")
    replies = await bot.say(chat, text, expect=2)
    assert "999" in (replies[0].text or "")  # the emergency reply, with the emergency number
    assert all("couldn't read that date" not in (r.text or "") for r in replies)
    assert bot.rows("SELECT chat_id, tier, source FROM alerts") == [(chat, "emergency", "message")]
    # Set-up still works afterwards: the bot keeps waiting for the date.
    [greeting] = await bot.say(chat, "21/11/2026")
    assert "You are on day 2 after your microneedling" in (greeting.text or "")


# --- 2. the alert does not depend on the patient's reply going out ------------------------------------------


async def test_the_alert_is_raised_even_when_the_reply_cannot_be_sent(server: FakeBotAPI, bot: Bot) -> None:
    server.push_command(311, "/start", args=bot.invite(days_ago=2).payload)
    await bot.replies(311)
    server.fail_next("sendMessage", 502, chat_id=311)
    server.fail_next("sendMessage", 502, chat_id=311)
    [safety] = await bot.say(311, "my throat is swelling and I can't breathe")
    # The alert was stored with the reply, before any send: the reply's failures change nothing for staff,
    # and the reply itself goes out once Telegram takes it.
    assert bot.rows("SELECT chat_id, tier FROM alerts") == [(311, "emergency")]
    assert (safety.text or "").startswith("Call 999 now")
    assert [c.status for c in server.calls("sendMessage") if c.chat_id == 311][1:] == [502, 502, 200]
    assert bot.errors == []


# --- 11. a button pressed so long ago that Telegram refuses to answer its query -----------------------------


async def test_an_expired_query_still_does_what_the_button_says(server: FakeBotAPI, bot: Bot) -> None:
    await bot.say(321, "/start")
    mark = server.mark()
    push_expired_callback(server, 321, "p:microneedling")
    ask = await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert "When did you have your microneedling?" in (ask.text or "")
    refused = [c for c in server.calls("answerCallbackQuery") if c.status == 400]
    assert refused, "the fake should have refused to answer the expired query"
    mark = server.mark()
    push_expired_callback(server, 321, "d:microneedling:1")
    done = await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    assert "You are on day 1 after your microneedling" in (done.text or "")
    await bot.settled()
    assert bot.errors == []
    assert not [c for c in server.sent_messages(321) if "went wrong" in (c.text or "")]


# --- 12. "today" pressed by a patient whose time zone is behind the clinic's --------------------------------


async def test_today_is_counted_in_the_zone_the_patient_picks(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    # 02:00 on 23 November in London is still 22 November, 21:00, in New York.
    clock = FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    bot = await start_bot(
        server, engine, tmp_path / "tz.db", clock, extra_timezones=("America/New_York",), timezone="UTC"
    )
    try:
        await bot.say(331, "/start")
        await press(server, 331, "p:microneedling")
        zones = await press(server, 331, "d:microneedling:0")
        done = await press(server, 331, buttons(zones)[1])
        assert "Today is the day of your microneedling" in (done.text or "")
        assert bot.rows("SELECT treated_on FROM treatments") == [("2026-11-22",)]
        assert bot.rows("SELECT timezone FROM patients") == [("America/New_York",)]
    finally:
        await stop_bot(bot)
    assert bot.errors == []


# --- 9. many messages from one chat do not hold up another patient ------------------------------------------


async def test_a_chat_sending_many_messages_does_not_hold_up_another(server: FakeBotAPI, bot: Bot) -> None:
    for chat in (341, 342):
        server.push_command(chat, "/start", args=bot.invite(days_ago=2).payload)
        await bot.replies(chat)
    server.delay("sendMessage", 0.3)  # every reply takes a while to go out
    try:
        for n in range(10):
            server.push_text(341, f"is peeling normal? ({n})")
        server.push_text(342, "can I use retinol yet?")
        [b_reply] = (await bot.replies(342, 2, timeout=10))[1:]
        a_replies = (await bot.replies(341, 11, timeout=20))[1:]
    finally:
        server.clear_delays()
    # Chat A's messages are answered one at a time; chat B's answer does not wait behind them (before, A's
    # queued messages held every slot and B was answered only after A's third answer had gone out).
    assert len(a_replies) == 10
    assert b_reply.time < a_replies[1].time


# --- 6. a 403 from another chat (the staff group) does not mark the patient unreachable ---------------------


async def test_a_403_from_another_chat_leaves_the_patient_reachable(server: FakeBotAPI, bot: Bot) -> None:
    server.push_command(351, "/start", args=bot.invite(days_ago=2).payload)
    await bot.replies(351)
    staff_group = -100351
    server.block(staff_group)  # the bot was removed from the staff group

    async def post_to_staff(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is not None and update.effective_chat.id == 351:
            await context.bot.send_message(staff_group, "relayed")

    bot.app.add_handler(TypeHandler(Update, post_to_staff), group=-1)
    try:  # the patient handlers still answer (another handler group); the failure gets the fallback
        replies = await bot.say(351, "is peeling normal?", expect=2)
    finally:
        server.unblock(staff_group)
    assert any((r.text or "").startswith("Sorry, something went wrong on our side") for r in replies)
    assert bot.rows("SELECT unreachable FROM patients WHERE chat_id = 351") == [(0,)]
    assert [type(e).__name__ for e in bot.errors] == ["Forbidden"]
    bot.errors.clear()
