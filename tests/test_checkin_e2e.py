"""End to end over real HTTP: the real bot against the fake Bot API.

A patient treated 3 days ago receives the day-3 check-in from the dispatcher, presses a button, and exactly
one structured response is stored, also when the button is pressed twice or after a restart. "Something's
wrong" alerts staff and runs the warning-sign questions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.storage import Store, outbox
from tests.bot_support import start_bot, stop_bot
from tests.checkin_support import FakeClock, add_patient, fast_limiter, plan_checkins, shipped_engine
from tests.fakebotapi import FakeBotAPI

LONDON = ZoneInfo("Europe/London")
TREATED = date(2026, 6, 1)


@asynccontextmanager
async def running_bot(server: FakeBotAPI, db: Path, clock: FakeClock) -> AsyncIterator[list[BaseException]]:
    """The bot, polling; yields the list of handler errors."""
    bot = await start_bot(server, shipped_engine(), db, clock, limiter=fast_limiter())
    try:
        yield bot.errors
    finally:
        await stop_bot(bot)


def buttons(call: Any) -> dict[str, str]:
    markup = call.reply_markup or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


def responses(db: Path) -> list[tuple[int, str]]:
    store = Store.open(db, create=True)
    try:
        return store.call(
            lambda d: [
                (int(a), str(b))
                for a, b in d.conn.execute("SELECT outbox_id, option FROM checkin_responses ORDER BY id")
            ]
        )
    finally:
        store.close()


async def test_day_three_checkin_arrives_and_one_answer_is_stored(server: FakeBotAPI, tmp_path: Path) -> None:
    db = tmp_path / "aftercare.db"
    store = Store.open(db, create=True)
    enrolled = datetime.combine(TREATED, time(12), tzinfo=LONDON)
    for chat in (9001, 9002, 9003):
        _, treatment = add_patient(store, chat, TREATED, created_at=enrolled)
        await plan_checkins(store, treatment, enrolled)
    store.close()
    clock = FakeClock(
        datetime.combine(TREATED + timedelta(days=3), time(10, 0, 5), tzinfo=LONDON).astimezone(UTC)
    )

    async with running_bot(server, db, clock) as errors:
        [checkin] = await server.wait_for_messages_async(9001, 1)
        assert (checkin.text or "").startswith("Day 3: how are you getting on?")
        options = buttons(checkin)
        assert list(options) == ["All good", "A bit worried", "Something's wrong"]

        # All good, pressed twice: one response, the second press only gets a note on the button.
        server.push_callback(9001, options["All good"], message_id=checkin.message_id)
        [_, thanks] = await server.wait_for_messages_async(9001, 2)
        assert (thanks.text or "").startswith("That's great to hear")
        server.push_callback(9001, options["All good"], message_id=checkin.message_id)
        await server.wait_for_async(
            lambda c: (
                c.method == "answerCallbackQuery" and c.params.get("text", "").startswith("Thanks, I already")
            )
        )

        # A bit worried: the bot asks what is bothering them.
        [worried_checkin] = await server.wait_for_messages_async(9003, 1)
        server.push_callback(9003, buttons(worried_checkin)["A bit worried"])
        [_, ask] = await server.wait_for_messages_async(9003, 2)
        assert "What is bothering you?" in (ask.text or "")

        # Something's wrong: escalation stored, then the warning-sign questions.
        [wrong_checkin] = await server.wait_for_messages_async(9002, 1)
        server.push_callback(9002, buttons(wrong_checkin)["Something's wrong"])
        [_, question] = await server.wait_for_messages_async(9002, 2)
        assert "trouble breathing" in (question.text or "")
        server.push_callback(9002, buttons(question)["Yes"], message_id=question.message_id)
        [*_, urgent] = await server.wait_for_messages_async(9002, 3)
        assert (urgent.text or "").startswith("Call 999 now")
        assert errors == []
        assert len(server.sent_messages(9001)) == 2  # the check-in went out once

    stored = responses(db)
    assert sorted(option for _, option in stored) == ["all_good", "bit_worried", "something_wrong"]
    store = Store.open(db, create=True)
    try:
        alerts = store.call(lambda d: d.execute("SELECT source, tier FROM alerts ORDER BY id").fetchall())
        assert alerts == [("checkin", "same_day"), ("checkin", "emergency")]  # the "yes" raised it
        first_outbox = next(o for o, option in stored if option == "all_good")
        row = store.call(outbox.get, first_outbox)
        assert row is not None and (row.state, row.step_day, row.chat_id) == ("sent", 3, 9001)
    finally:
        store.close()

    # After a restart, pressing the old button again still records nothing new and sends nothing new.
    async with running_bot(server, db, clock) as errors:
        mark = server.mark()
        server.push_callback(9001, options["Something's wrong"], message_id=checkin.message_id)
        await server.wait_for_async(
            lambda c: (
                c.method == "answerCallbackQuery" and c.params.get("text", "").startswith("Thanks, I already")
            ),
            since=mark,
        )
        assert errors == []
    assert responses(db) == stored
    assert len(server.sent_messages(9001)) == 2
