"""Several procedures end to end over the fake Bot API: a filler patient's blocked-vessel sign, the kind
of peel changing a day verdict, a provider's hold in /today, and one check-in a day for a patient treated
twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio

from bot.core.answer import Engine
from bot.storage import patients
from tests.bot_support import Bot, start_bot, stop_bot
from tests.conftest import FakeClock
from tests.fakebotapi import Call, FakeBotAPI

STAFF_CHAT = -100600
STAFF = 900
MONDAY_MORNING = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


@pytest_asyncio.fixture
async def bot(server: FakeBotAPI, engine: Engine, tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(
        server,
        engine,
        tmp_path / "bot.db",
        FakeClock(MONDAY_MORNING),
        staff_chat_id=STAFF_CHAT,
        staff_ids=frozenset({STAFF}),
        quiet_hours=None,
    )
    try:
        yield running
    finally:
        await stop_bot(running)
    assert running.errors == []


async def enroll(bot: Bot, chat: int, procedure: str, days_ago: int, **choices: object) -> None:
    before = len(bot.server.sent_messages(chat))
    invitation = bot.invite(days_ago=days_ago, procedure=procedure, **choices)
    bot.server.push_command(chat, "/start", args=invitation.payload)
    await bot.replies(chat, before + 1)


async def test_a_blocked_vessel_after_lip_filler_gets_the_urgent_reply_first_and_staff_at_once(
    bot: Bot,
) -> None:
    await enroll(bot, 601, "dermal_filler", 0, variant="lips")
    [reply, *_] = await bot.say(601, "one spot on my lip has gone white and it really hurts", expect=1)
    text = reply.text or ""
    assert text.startswith("Please contact Glow Clinic now") and "+44 20 7946 0000" in text
    assert "emergency" in text.lower()  # and where to go when the clinic cannot be reached
    [alert] = await bot.server.wait_for_messages_async(STAFF_CHAT, 1)
    assert "EMERGENCY" in (alert.text or "")  # top priority for staff, whatever the patient's tier
    assert bot.rows("SELECT tier, source FROM alerts") == [("emergency", "message")]
    assert bot.rows("SELECT priority FROM outbox WHERE kind = 'alert' ORDER BY id") == [(0,), (0,)]


async def test_the_kind_of_peel_decides_whether_makeup_is_back_on_day_two(bot: Bot) -> None:
    await enroll(bot, 611, "chemical_peel", 2, variant="medium")
    await enroll(bot, 612, "chemical_peel", 2, variant="superficial")
    [medium] = await bot.say(611, "can I wear makeup?")
    [superficial] = await bot.say(612, "can I wear makeup?")
    assert (medium.text or "").startswith("Not yet: you are on day 2")
    assert (superficial.text or "").startswith("Yes: you are on day 2")


async def test_a_providers_hold_shows_in_today_and_the_answers(bot: Bot) -> None:
    await enroll(bot, 621, "microneedling", 2, holds={"exercise_sweating": 5})
    await enroll(bot, 622, "microneedling", 2)
    [held] = await bot.say(621, "/today")
    [plain] = await bot.say(622, "/today")
    assert "workouts and sweaty exercise: from day 5 (Thursday 26 November) (longer for you" in (
        held.text or ""
    )
    assert "workouts and sweaty exercise: from day 3 (Tuesday 24 November)\n" in (plain.text or "")
    assert "longer for you" not in (plain.text or "")
    [answer] = await bot.say(621, "can I go to the gym?")
    assert (answer.text or "").startswith("Not yet: you are on day 2. You can restart workouts")


async def test_a_patient_treated_twice_gets_one_checkin_a_day(bot: Bot) -> None:
    # Microneedling on 1 November (its day 28 is 29 November), lip filler on 26 November (its day 3 is 29
    # November too): the patient keeps one conversation and gets one check-in that day.
    await enroll(bot, 631, "microneedling", 22)
    bot.clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    invitation = bot.invite(days_ago=0, procedure="dermal_filler", variant="lips")
    bot.server.push_command(631, "/start", args=invitation.payload)
    await bot.settled()
    assert bot.rows("SELECT COUNT(*) FROM treatments") == [(1,)]  # a second link is refused, kindly
    [(patient,)] = bot.rows("SELECT id FROM patients WHERE chat_id = 631")
    # The clinic adds the new treatment to the same patient instead.
    bot.store.call(patients.add_treatment, patient, "dermal_filler", bot.clock.today(), bot.clock(), "lips")
    await bot.dispatch()
    assert bot.rows("SELECT step_day FROM outbox WHERE skip_reason = 'superseded'") == [(28,)]
    per_day = {}
    for offset in range(16):
        bot.clock.set(datetime(2026, 11, 26, 12, 0, tzinfo=UTC) + timedelta(days=offset))
        before = len(checkins(bot, 631))
        await bot.dispatch()
        per_day[bot.clock.today()] = len(checkins(bot, 631)) - before
    assert max(per_day.values()) == 1  # never two on one day
    assert sum(per_day.values()) == 4  # filler: 3 hours after, days 1, 3 and 14 (its day 3 replaced day 28)


def checkins(bot: Bot, chat: int) -> list[Call]:
    return [c for c in bot.server.sent_messages(chat) if "ci:" in str(c.reply_markup)]
