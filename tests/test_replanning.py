"""Pending check-ins are planned again when what they were planned from changes: the check-in time
(AFTERCARE_CHECKIN_TIME) between two runs, the patient's time zone, a treatment's date. Their due times move;
a check-in already sent is never sent again, and one missed while the bot was down is still caught up."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest

from bot.core.answer import Engine
from tests.bot_support import Bot, start_bot, stop_bot
from tests.conftest import FakeClock
from tests.fakebotapi import FakeBotAPI

logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as srv:
        yield srv


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def plan(bot: Bot, chat: int) -> dict[tuple[int, int], tuple[str, datetime]]:
    """(treatment, step day) -> (state, due time) of the chat's check-ins."""
    rows = bot.rows(
        "SELECT treatment_id, step_day, state, due_at FROM outbox WHERE kind = 'checkin' AND chat_id = ?"
        " ORDER BY treatment_id, step_day",
        chat,
    )
    return {(t, d): (s, datetime.fromisoformat(due)) for t, d, s, due in rows}


def checkins_sent(server: FakeBotAPI, chat: int) -> list[str]:
    return [c.text or "" for c in server.sent_messages(chat) if "ci:" in str(c.reply_markup)]


async def run_until(bot: Bot, moment: datetime) -> None:
    """Move the clock to `moment` and let the sender do what is due."""
    bot.clock.set(moment)
    await bot.dispatch()
    await bot.settled()  # a row the sender's own wake-up claimed first is sent too, not still on its way


async def enroll(bot: Bot, chat: int, days_ago: int, **choices: Any) -> None:
    await bot.say(chat, f"/start {bot.invite(days_ago, **choices).payload}")
    await bot.dispatch()  # the sender plans the new treatment's check-ins


async def test_a_new_checkin_time_between_runs_moves_pending_checkins_and_resends_none(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db, chat, clock = tmp_path / "bot.db", 701, FakeClock(utc(23, 9))
    bot = await start_bot(server, engine, db, clock)  # check-ins at 10:00
    try:
        await enroll(bot, chat, days_ago=0)
        [treatment] = {t for t, _ in plan(bot, chat)}
        assert {d: due for (_, d), (_, due) in plan(bot, chat).items()} == {
            1: utc(24, 10),
            3: utc(26, 10),
            7: utc(30, 10),
            28: datetime(2026, 12, 21, 10, tzinfo=UTC),
        }
        await run_until(bot, utc(24, 10, 1))
        assert len(checkins_sent(server, chat)) == 1  # day 1, at 10:00
    finally:
        await stop_bot(bot)

    clock.set(utc(24, 12))
    bot = await start_bot(server, engine, db, clock, checkin_time=time(14, 0))
    try:
        assert plan(bot, chat) == {
            (treatment, 1): ("sent", utc(24, 10)),  # gone out already: stays as it was
            (treatment, 3): ("pending", utc(26, 14)),
            (treatment, 7): ("pending", utc(30, 14)),
            (treatment, 28): ("pending", datetime(2026, 12, 21, 14, tzinfo=UTC)),
        }
        await run_until(bot, utc(24, 14, 1))  # day 1's step at the new time: not sent again
        await run_until(bot, utc(26, 10, 1))  # day 3 at the old time: nothing
        assert len(checkins_sent(server, chat)) == 1
        await run_until(bot, utc(26, 14, 1))
        sent = checkins_sent(server, chat)
        assert len(sent) == 2 and sent[1].startswith("Day 3")
    finally:
        await stop_bot(bot)
    assert bot.errors == []

    bot = await start_bot(server, engine, db, clock, checkin_time=time(14, 0))  # same setting: untouched
    try:
        assert plan(bot, chat)[(treatment, 3)] == ("sent", utc(26, 14))
        assert plan(bot, chat)[(treatment, 7)] == ("pending", utc(30, 14))
    finally:
        await stop_bot(bot)


async def test_a_checkin_missed_while_down_is_still_caught_up_after_the_time_changed(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db, chat, clock = tmp_path / "bot.db", 702, FakeClock(utc(23, 9))
    bot = await start_bot(server, engine, db, clock)
    try:
        await enroll(bot, chat, days_ago=0)
    finally:
        await stop_bot(bot)
    clock.set(utc(24, 11, 30))  # down from 09:00 yesterday: day 1's check-in (10:00) was missed
    bot = await start_bot(server, engine, db, clock, checkin_time=time(11, 0))
    try:
        await bot.dispatch()
        [(treatment, _)] = [key for key in plan(bot, chat) if key[1] == 1]
        assert plan(bot, chat)[(treatment, 1)] == ("sent", utc(24, 11))  # moved, and caught up at once
        await run_until(bot, utc(24, 15))
        assert len(checkins_sent(server, chat)) == 1
    finally:
        await stop_bot(bot)
    assert bot.errors == []


async def test_a_new_time_zone_moves_the_pending_checkins_of_earlier_treatments(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db, chat, clock = tmp_path / "bot.db", 703, FakeClock(utc(20, 9))
    bot = await start_bot(server, engine, db, clock, extra_timezones=("America/New_York",))
    try:
        # Set up by hand in New York: check-ins at 10:00 there (15:00 UTC).
        await bot.say(chat, "/start")
        for data in ("p:microneedling", "d:microneedling:0", "z:1:microneedling:r0"):
            mark = server.mark()
            server.push_callback(chat, data)
            await server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
        await bot.dispatch()
        [first] = {t for t, _ in plan(bot, chat)}
        assert plan(bot, chat)[(first, 3)] == ("pending", utc(23, 15))
        await run_until(bot, utc(21, 15, 1))
        assert len(checkins_sent(server, chat)) == 1  # day 1

        # The clinic's link for a later treatment is in its own zone (UTC): the patient's zone follows it.
        clock.set(utc(22, 9))
        await enroll(bot, chat, days_ago=0, procedure="dermal_filler")
        assert bot.rows("SELECT timezone FROM patients WHERE chat_id = ?", chat) == [("UTC",)]
        moved = plan(bot, chat)
        assert moved[(first, 1)] == ("sent", utc(21, 15))
        pending_first = {d: due for (t, d), (s, due) in moved.items() if t == first and s == "pending"}
        assert pending_first and all(due.hour == 10 for due in pending_first.values()), pending_first
        later = [d for (t, d), (s, _) in moved.items() if t != first and s == "pending"]
        assert later, "the new treatment has check-ins of its own"
    finally:
        await stop_bot(bot)
    assert bot.errors == []


async def test_a_corrected_treatment_date_moves_its_pending_checkins(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db, chat, clock = tmp_path / "bot.db", 704, FakeClock(utc(23, 9))
    bot = await start_bot(server, engine, db, clock)
    try:
        await enroll(bot, chat, days_ago=1)  # treated on the 22nd
        await run_until(bot, utc(23, 10, 1))  # day 1 goes out
        [treatment] = {t for t, _ in plan(bot, chat)}
        assert plan(bot, chat)[(treatment, 3)] == ("pending", utc(25, 10))
        # The date was wrong: the 21st. Planned again as of now, day 1 stays sent, the others move a day back.
        bot.rows("UPDATE treatments SET treated_on = '2026-11-21' WHERE id = ?", treatment)
        await bot.store.run(bot.services.checkins.replan, treatment)
        assert plan(bot, chat) == {
            (treatment, 1): ("sent", utc(23, 10)),
            (treatment, 3): ("pending", utc(24, 10)),
            (treatment, 7): ("pending", utc(28, 10)),
            (treatment, 28): ("pending", datetime(2026, 12, 19, 10, tzinfo=UTC)),
        }
        await run_until(bot, utc(24, 10, 1))
        await run_until(bot, utc(25, 10, 1))
        sent = checkins_sent(server, chat)
        assert len(sent) == 2 and sent[1].startswith("Day 3")
    finally:
        await stop_bot(bot)
    assert bot.errors == []
