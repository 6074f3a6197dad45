"""Check-ins inside the real aftercare bot: a patient enrolls through an invite link, gets the day-3 check-in
from the dispatcher, and their button press is stored once. /mute stops check-ins, /forget removes every
outbox row."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest_asyncio

from bot.storage import Store
from tests.bot_support import Bot, FakeClock, start_bot, stop_bot
from tests.checkin_support import add_patient, shipped_engine
from tests.fakebotapi import FakeBotAPI


@pytest_asyncio.fixture
async def bot(server: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Bot]:
    clock = FakeClock(datetime(2026, 11, 23, 9, 58, tzinfo=UTC))
    running = await start_bot(server, shipped_engine(), tmp_path / "bot.db", clock)
    try:
        yield running
    finally:
        await stop_bot(running)
    assert running.errors == []


async def wake(bot: Bot) -> None:
    """What the 30-second wake-up does, now: run one dispatch pass."""
    await bot.dispatch()


def checkins(bot: Bot, chat_id: int) -> list[str]:
    return [
        c.text or ""
        for c in bot.server.sent_messages(chat_id)
        if c.reply_markup and "ci:" in str(c.reply_markup)
    ]


async def test_enrolled_patient_gets_the_day_three_checkin_and_answers(bot: Bot) -> None:
    bot.server.push_command(301, "/start", args=bot.invite(days_ago=3).payload)
    await bot.replies(301, 1)
    await wake(bot)
    assert checkins(bot, 301) == []  # 09:58: not yet
    bot.clock.advance(minutes=2, seconds=10)
    await wake(bot)
    [text] = checkins(bot, 301)
    assert text.startswith("Day 3: how are you getting on?")
    checkin = next(c for c in bot.server.sent_messages(301) if c.text == text)
    data = {b["text"]: b["callback_data"] for row in checkin.reply_markup["inline_keyboard"] for b in row}
    before = len(bot.server.sent_messages(301))
    bot.server.push_callback(301, data["All good"], message_id=checkin.message_id)
    bot.server.push_callback(301, data["A bit worried"], message_id=checkin.message_id)
    await bot.replies(301, before + 1)
    await bot.quiet()
    assert bot.rows("SELECT option FROM checkin_responses") == [("all_good",)]
    assert len(bot.server.sent_messages(301)) == before + 1
    await wake(bot)
    assert len(checkins(bot, 301)) == 1  # sent exactly once


async def test_mute_unmute_and_forget_reach_the_outbox(bot: Bot) -> None:
    bot.server.push_command(302, "/start", args=bot.invite(days_ago=3).payload)
    await bot.replies(302, 1)
    await bot.say(302, "/mute")
    await wake(bot)
    bot.clock.advance(minutes=3)  # day 3's 10:00 passes while muted (and no pass runs before /unmute)
    await bot.say(302, "/unmute")
    await wake(bot)
    assert checkins(bot, 302) == []
    assert bot.rows("SELECT state, skip_reason FROM outbox WHERE step_day = 3") == [("skipped", "muted")]
    assert bot.rows("SELECT state FROM outbox WHERE step_day = 7") == [("pending",)]
    await bot.say(302, "/forget")
    forget_yes = bot.server.sent_messages(302)[-1]
    yes = forget_yes.reply_markup["inline_keyboard"][0][0]["callback_data"]
    bot.server.push_callback(302, yes, message_id=forget_yes.message_id)
    await bot.quiet(0.5)
    await bot.settled()
    assert bot.rows("SELECT COUNT(*) FROM patients") == [(0,)]
    assert bot.rows("SELECT COUNT(*) FROM outbox") == [(0,)]


async def test_a_bit_worried_asks_and_the_next_message_is_answered(bot: Bot) -> None:
    bot.server.push_command(303, "/start", args=bot.invite(days_ago=3).payload)
    await bot.replies(303, 1)
    bot.clock.advance(minutes=2, seconds=10)
    await wake(bot)
    checkin = next(
        c for c in bot.server.sent_messages(303) if c.reply_markup and "ci:" in str(c.reply_markup)
    )
    data = {b["text"]: b["callback_data"] for row in checkin.reply_markup["inline_keyboard"] for b in row}
    before = len(bot.server.sent_messages(303))
    bot.server.push_callback(303, data["A bit worried"], message_id=checkin.message_id)
    [ask] = (await bot.replies(303, before + 1))[before:]
    assert "What is bothering you?" in (ask.text or "")
    [answer] = await bot.say(303, "my skin is peeling a lot, is that normal?")
    assert "peel" in (answer.text or "").lower() or "flak" in (answer.text or "").lower()
    assert bot.rows("SELECT option FROM checkin_responses") == [("bit_worried",)]


async def test_a_press_handled_too_late_to_answer_the_query_still_gets_its_reply(bot: Bot) -> None:
    bot.server.push_command(304, "/start", args=bot.invite(days_ago=3).payload)
    await bot.replies(304, 1)
    bot.clock.advance(minutes=2, seconds=10)
    await wake(bot)
    checkin = next(
        c for c in bot.server.sent_messages(304) if c.reply_markup and "ci:" in str(c.reply_markup)
    )
    data = {b["text"]: b["callback_data"] for row in checkin.reply_markup["inline_keyboard"] for b in row}
    before = len(bot.server.sent_messages(304))
    bot.server.fail_next(
        "answerCallbackQuery", 400, "Bad Request: query is too old and response timeout expired"
    )
    bot.server.push_callback(304, data["Something's wrong"], message_id=checkin.message_id)
    [question] = (await bot.replies(304, before + 1))[before:]
    assert "trouble breathing" in (question.text or "")
    assert bot.rows("SELECT option FROM checkin_responses") == [("something_wrong",)]
    assert bot.rows("SELECT source, tier FROM alerts") == [("checkin", "same_day")]


async def test_check_ins_due_during_a_downtime_go_out_as_soon_as_the_bot_starts(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    store = Store.open(db, create=True)
    add_patient(store, 305, date(2026, 11, 22), timezone="UTC")  # day 1 was due at 10:00
    store.close()
    clock = FakeClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    started = await start_bot(server, shipped_engine(), db, clock)
    try:
        # No manual pass: the start-up pass sends it, well before the 30-second wake-up.
        [checkin] = await server.wait_for_messages_async(305, 1, timeout=5.0)
        assert "ci:" in str(checkin.reply_markup)
    finally:
        await stop_bot(started)
    assert started.errors == []


async def test_unblocking_the_bot_brings_future_check_ins_back(server: FakeBotAPI, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    store = Store.open(db, create=True)
    add_patient(store, 306, date(2026, 11, 22), timezone="UTC")  # day 1 due today, then days 3, 7 and 28
    store.close()
    server.block(306)
    clock = FakeClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    started = await start_bot(server, shipped_engine(), db, clock)
    try:
        await wake(started)  # after the start-up pass: day 1 met the block

        def states() -> dict[int, tuple[str, str | None]]:
            found = started.rows(
                "SELECT step_day, state, COALESCE(last_error, skip_reason) FROM outbox"
                " WHERE kind = 'checkin' ORDER BY step_day"
            )
            return {day: (state, error) for day, state, error in found}

        assert states()[3] == ("skipped", "unreachable")
        server.unblock(306)
        server.push_my_chat_member(306, "member")
        await started.quiet(0.3)
        assert started.rows("SELECT unreachable FROM patients WHERE chat_id = 306") == [(0,)]
        assert states() == {
            1: ("failed", "blocked"),  # its time has passed: not sent late
            3: ("pending", None),
            7: ("pending", None),
            28: ("pending", None),
        }
        clock.advance(days=2, minutes=1)  # day 3, 12:01
        await wake(started)
        assert len(checkins(started, 306)) == 1
    finally:
        await stop_bot(started)
    assert started.errors == []
