"""The dispatcher against the fake Bot API server, with a controlled clock: DST, quiet hours, downtime,
Telegram errors (429, 403, timeouts, connection failures), mute and forget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from telegram import Bot

from bot.core.model import Tier
from bot.services.outcome import Message
from bot.storage import Store, alerts, outbox, staff_events
from bot.storage.outbox import Kind
from bot.storage.staff_events import NoticeKind
from bot.telegram.ratelimit import RateLimiter
from tests.checkin_support import (
    FakeClock,
    add_patient,
    fast_limiter,
    make_bot,
    make_dispatcher,
    next_due,
    plan_checkins,
    rows_for_treatment,
    services_for,
)
from tests.fakebotapi import FakeBotAPI

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


@pytest_asyncio.fixture
async def bot(server: FakeBotAPI) -> AsyncIterator[Bot]:
    async with make_bot(server.base_url, server.token) as b:
        yield b


def local(day: date, hour: int, minute: int = 0, second: int = 0, tz: ZoneInfo = LONDON) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=tz).astimezone(UTC)


def rows(store: Store, treatment_id: int) -> dict[int, outbox.OutboxRow]:
    return {r.step_day or 0: r for r in rows_for_treatment(store, treatment_id)}


def sent_at(store: Store, treatment_id: int) -> dict[int, datetime]:
    found = store.call(
        lambda db: db.conn.execute(
            "SELECT step_day, sent_at FROM outbox WHERE treatment_id = ? AND sent_at IS NOT NULL",
            (treatment_id,),
        ).fetchall()
    )
    return {int(d): datetime.fromisoformat(s) for d, s in found}


async def enroll(
    store: Store, chat_id: int, treated_on: date, now: datetime, tz: str = "Europe/London"
) -> int:
    _, treatment_id = add_patient(store, chat_id, treated_on, tz)
    await plan_checkins(store, treatment_id, now)
    return treatment_id


@pytest.mark.parametrize(
    ("tz", "treated_on"),
    [
        (LONDON, date(2026, 3, 27)),  # day 3 is the Sunday BST starts
        (LONDON, date(2026, 10, 22)),  # day 3 is the Sunday BST ends
        (NEW_YORK, date(2026, 3, 5)),  # day 3 is the Sunday EDT starts
        (NEW_YORK, date(2026, 10, 29)),  # day 3 is the Sunday EDT ends
    ],
)
async def test_each_checkin_once_at_ten_local_across_dst(
    store: Store, bot: Bot, server: FakeBotAPI, tz: ZoneInfo, treated_on: date
) -> None:
    clock = FakeClock(local(treated_on, 12, tz=tz))
    treatment = await enroll(store, 7001, treated_on, clock(), str(tz))
    dispatcher = make_dispatcher(store, bot, clock, limiter=fast_limiter(per_chat_interval=0.0))
    dues = [r.due_at for r in rows(store, treatment).values()]
    # Passes every 30 seconds around each due time, and every 6 hours in between, for five weeks.
    moments = {due + timedelta(seconds=s) for due in dues for s in range(-60, 121, 30)}
    moments |= {clock() + timedelta(hours=6 * i) for i in range(4 * 35)}
    for moment in sorted(moments):
        clock.set(moment)
        await dispatcher.run_once()
    sent = server.sent_messages(7001)
    assert [c.text.split(" ")[0] for c in sent if c.text] == ["Day", "Day", "One", "It's"]
    assert len(sent) == 4
    times = sent_at(store, treatment)
    for day, row in rows(store, treatment).items():
        assert row.state == "sent"
        assert timedelta(0) <= times[day] - row.due_at < timedelta(seconds=60)
        local_due = row.due_at.astimezone(tz)
        assert (local_due.date(), local_due.time()) == (treated_on + timedelta(days=day), time(10, 0))


async def test_quiet_hours_hold_a_late_checkin_until_morning(
    store: Store, bot: Bot, server: FakeBotAPI
) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    treatment = await enroll(store, 7002, treated, clock())
    dispatcher = make_dispatcher(store, bot, clock)
    clock.set(local(treated + timedelta(days=1), 21, 30))  # the bot comes back up at 21:30 on day 1
    await dispatcher.run_once()
    assert server.sent_messages(7002) == []
    assert rows(store, treatment)[1].state == "pending"
    clock.set(local(treated + timedelta(days=2), 7, 59))
    await dispatcher.run_once()
    assert server.sent_messages(7002) == []
    clock.set(local(treated + timedelta(days=2), 8, 0))
    await dispatcher.run_once()
    assert len(server.sent_messages(7002)) == 1
    assert sent_at(store, treatment)[1] == local(treated + timedelta(days=2), 8, 0)


async def test_restart_after_six_hours_sends_the_missed_checkin_once(
    bot: Bot, server: FakeBotAPI, tmp_path: Path
) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    before = Store.open(tmp_path / "restart.db", create=True)
    treatment = await enroll(before, 7003, treated, clock())
    clock.set(local(treated + timedelta(days=1), 10, 0))
    await make_dispatcher(before, bot, clock).run_once()
    assert len(server.sent_messages(7003)) == 1
    before.close()  # down from day 3 08:00 to 14:00: day 3's 10:00 check-in is missed
    after = Store.open(tmp_path / "restart.db", create=True)
    try:
        clock.set(local(treated + timedelta(days=3), 14, 0))
        dispatcher = make_dispatcher(after, bot, clock)
        await dispatcher.run_once()
        clock.advance(seconds=30)
        await dispatcher.run_once()
        texts = [c.text or "" for c in server.sent_messages(7003)]
        assert len(texts) == 2 and texts[1].startswith("Day 3")
        assert rows(after, treatment)[3].state == "sent"
    finally:
        after.close()


async def test_restart_after_three_days_skips_stale_checkins(
    store: Store, bot: Bot, server: FakeBotAPI
) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    treatment = await enroll(store, 7004, treated, clock())
    late = await enroll(store, 7005, treated - timedelta(days=3), clock())  # only day 7 ahead
    clock.set(local(treated + timedelta(days=3), 13, 0))  # down for 3 days: days 1 and 3 were due meanwhile
    dispatcher = make_dispatcher(store, bot, clock)
    await dispatcher.run_once()
    await dispatcher.run_once()
    texts = [c.text or "" for c in server.sent_messages(7004)]
    assert len(texts) == 1 and texts[0].startswith("Day 3")  # day 1 is stale: no burst
    assert rows(store, treatment)[1].state == "skipped" and rows(store, treatment)[1].skip_reason == "expired"
    # The other patient's day 3 (due 3 days ago) and day 1 were both stale.
    assert server.sent_messages(7005) == []
    assert {d: r.state for d, r in rows(store, late).items()} == {
        1: "skipped",
        3: "skipped",
        7: "pending",
        28: "pending",
    }


async def test_a_patient_enrolled_after_a_step_does_not_get_it(
    store: Store, bot: Bot, server: FakeBotAPI
) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated + timedelta(days=3), 10, 1))
    treatment = await enroll(store, 7006, treated, clock())
    await make_dispatcher(store, bot, clock).run_once()
    assert server.sent_messages(7006) == []
    states = {d: (r.state, r.last_error or r.skip_reason) for d, r in rows(store, treatment).items()}
    assert states[1] == states[3] == ("skipped", "enrolled_late")
    assert states[7] == ("pending", None)
    assert await plan_checkins(store, treatment, clock()) == 0  # planning is idempotent


async def test_429_on_ten_percent_all_delivered_none_before_retry_time(
    store: Store, bot: Bot, server: FakeBotAPI
) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    chats = list(range(8000, 8040))
    for chat in chats:
        await enroll(store, chat, treated, clock())
    server.fail_rate("sendMessage", 429, fraction=0.1, seed=4, retry_after=1)
    clock.set(local(treated + timedelta(days=1), 10, 0))
    report = await make_dispatcher(store, bot, clock).run_once()
    calls = server.calls("sendMessage")
    limited = [c for c in calls if c.status == 429]
    assert len(limited) >= 2 and report.rate_limited == len(limited)
    assert all(len([c for c in server.sent_messages(chat) if c.ok]) == 1 for chat in chats)
    for refused in limited:
        later = [c for c in calls if c.chat_id == refused.chat_id and c.time > refused.time]
        assert later and later[0].time >= refused.time + 1.0
    assert store.call(outbox.state_counts) == {"sent": 40, "pending": 120}


async def test_403_marks_the_patient_unreachable_after_one_attempt(
    store: Store, bot: Bot, server: FakeBotAPI
) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    treatment = await enroll(store, 7007, treated, clock())
    server.block(7007)
    dispatcher = make_dispatcher(store, bot, clock)
    clock.set(local(treated + timedelta(days=1), 10, 0))
    report = await dispatcher.run_once()
    assert report.blocked == 1
    assert len(server.calls("sendMessage")) == 1
    states = {d: (r.state, r.last_error or r.skip_reason) for d, r in rows(store, treatment).items()}
    assert states == {
        1: ("failed", "blocked"),
        3: ("skipped", "unreachable"),
        7: ("skipped", "unreachable"),
        28: ("skipped", "unreachable"),
    }
    assert rows(store, treatment)[1].unreachable
    events = store.call(staff_events.events, NoticeKind.UNREACHABLE)
    assert len(events) == 1 and events[0].outbox_id == rows(store, treatment)[1].id
    clock.set(local(treated + timedelta(days=7), 10, 0))
    await dispatcher.run_once()
    assert len(server.calls("sendMessage")) == 1
    assert len(store.call(staff_events.events)) == 1


async def test_an_ambiguous_timeout_is_marked_uncertain_and_not_resent(
    store: Store, server: FakeBotAPI
) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    treatment = await enroll(store, 7008, treated, clock())
    server.delay("sendMessage", 0.6, count=1)  # delivered, then the answer comes too late
    async with make_bot(server.base_url, server.token, read_timeout=0.15) as slow:
        dispatcher = make_dispatcher(store, slow, clock)
        clock.set(local(treated + timedelta(days=1), 10, 0))
        report = await dispatcher.run_once()
        assert report.uncertain == 1
        clock.advance(minutes=5)
        await dispatcher.run_once()
    assert len(server.calls("sendMessage")) == 1
    assert len(server.sent_messages(7008)) == 1  # Telegram did deliver it
    row = rows(store, treatment)[1]
    assert (row.state, row.last_error) == ("uncertain", "uncertain:timed out")


async def test_errors_before_sending_are_retried_with_backoff(
    store: Store, bot: Bot, server: FakeBotAPI
) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    treatment = await enroll(store, 7009, treated, clock())
    server.fail_next("sendMessage", 502, count=2)
    clock.set(local(treated + timedelta(days=1), 10, 0))
    report = await make_dispatcher(store, bot, clock, limiter=fast_limiter(per_chat_interval=0.0)).run_once()
    assert report.sent == 1 and report.retried == 2
    calls = server.calls("sendMessage")
    assert [c.status for c in calls] == [502, 502, 200]
    assert calls[2].time - calls[1].time >= 0.1 and calls[1].time - calls[0].time >= 0.05
    row = rows(store, treatment)[1]
    assert (row.state, row.attempts) == ("sent", 3)


async def test_connection_refused_puts_the_row_back_for_later(store: Store) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    treatment = await enroll(store, 7010, treated, clock())
    gone = FakeBotAPI().start()
    async with make_bot(gone.base_url, gone.token) as offline:
        gone.stop()  # nothing listens on its port any more: every connection is refused
        clock.set(local(treated + timedelta(days=1), 10, 0))
        limiter = fast_limiter(per_chat_interval=0.0)
        report = await make_dispatcher(store, offline, clock, limiter=limiter).run_once()
    assert report.sent == 0 and report.uncertain == 0
    row = rows(store, treatment)[1]
    assert (row.state, row.last_error, row.attempts) == ("pending", "not_sent", 4)
    next_attempt = next_due(store)
    assert next_attempt == clock() + timedelta(minutes=2)


async def test_mute_skips_and_unmute_resumes_only_future_checkins(
    store: Store, bot: Bot, server: FakeBotAPI
) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    _, treatment = add_patient(store, 7011, treated, muted=True)
    await plan_checkins(store, treatment, clock())
    dispatcher = make_dispatcher(store, bot, clock)
    clock.set(local(treated + timedelta(days=1), 10, 0))
    await dispatcher.run_once()
    assert server.sent_messages(7011) == []
    assert rows(store, treatment)[1].skip_reason == "muted"
    # Day 3's time passes while muted and the bot is down; the patient unmutes on day 3 at 12:00.
    clock.set(local(treated + timedelta(days=3), 12, 0))
    await services_for(store, clock).privacy.mute(1, 7011, False)
    assert (rows(store, treatment)[3].state, rows(store, treatment)[3].skip_reason) == ("skipped", "muted")
    assert store.call(lambda db: db.execute("SELECT muted FROM patients").fetchone()) == (0,)
    await dispatcher.run_once()
    assert [c.text for c in server.sent_messages(7011)] == ["Check-in messages are back on."]  # no check-in
    clock.set(local(treated + timedelta(days=7), 10, 0))
    await dispatcher.run_once()
    assert [c.text.split(" ")[0] for c in server.sent_messages(7011)[1:] if c.text] == ["One"]


async def test_forget_cancels_everything_pending(store: Store, bot: Bot, server: FakeBotAPI) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    patient, treatment = add_patient(store, 7012, treated)
    await plan_checkins(store, treatment, clock())
    assert len(rows(store, treatment)) == 4
    store.call(lambda db: db.conn.execute("DELETE FROM patients WHERE id = ?", (patient,)))
    assert rows(store, treatment) == {}
    clock.set(local(treated + timedelta(days=1), 10, 0))
    await make_dispatcher(store, bot, clock).run_once()
    assert server.sent_messages(7012) == []


async def test_new_treatments_are_planned_as_of_their_enrollment(
    store: Store, bot: Bot, server: FakeBotAPI
) -> None:
    treated = date(2026, 6, 1)
    enrolled = local(treated + timedelta(days=3), 9, 59, 50)
    _, treatment = add_patient(store, 7013, treated, created_at=enrolled)  # no explicit planning
    clock = FakeClock(local(treated + timedelta(days=3), 10, 0, 20))  # the next pass comes after 10:00
    await make_dispatcher(store, bot, clock).run_once()
    texts = [c.text or "" for c in server.sent_messages(7013)]
    assert len(texts) == 1 and texts[0].startswith("Day 3")
    assert rows(store, treatment)[1].skip_reason == "enrolled_late"


async def test_a_newer_treatment_takes_over_only_a_day_both_plans_share(store: Store) -> None:
    clock = FakeClock(local(date(2026, 6, 26), 12))
    patient, first = add_patient(store, 7014, date(2026, 6, 1))  # its day 28 is 29 June
    await plan_checkins(store, first, clock())
    second = store.call(
        lambda db: (
            db.conn.execute(
                "INSERT INTO treatments (patient_id, procedure, treated_on, created_at) VALUES (?, ?, ?, ?)",
                (patient, "microneedling", "2026-06-26", clock().isoformat()),
            ).lastrowid
        )
    )
    await plan_checkins(store, second, clock())  # its day 3 is 29 June too: one check-in that day
    assert {d: (r.state, r.skip_reason) for d, r in rows(store, first).items()} == {
        1: ("skipped", "enrolled_late"),
        3: ("skipped", "enrolled_late"),
        7: ("skipped", "enrolled_late"),
        28: ("skipped", "superseded"),
    }
    assert {r.state for r in rows(store, second).values()} == {"pending"}
    days = store.call(
        lambda db: db.execute(
            "SELECT substr(due_at, 1, 10) FROM outbox WHERE state = 'pending' AND patient_id = ?", (patient,)
        ).fetchall()
    )
    assert len(days) == len(set(days)) == 4


async def test_a_queued_message_goes_out_by_the_same_path_and_is_then_gone(
    store: Store, bot: Bot, server: FakeBotAPI
) -> None:
    clock = FakeClock(datetime(2026, 6, 1, 12, tzinfo=UTC))
    note = outbox.NewRow(Kind.MESSAGE, "note:1", 7015, clock(), payload=Message(7015, "hello").to_json())
    store.call(outbox.insert_rows, [note], clock())
    await make_dispatcher(store, bot, clock).run_once()
    assert [c.text for c in server.sent_messages(7015)] == ["hello"]
    assert store.call(outbox.state_counts) == {}  # sent, and no longer needed: its words are gone too


async def test_a_stopping_bot_ends_the_pass_and_returns_unsent_rows(
    store: Store, bot: Bot, server: FakeBotAPI
) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    for chat in range(7100, 7160):
        await enroll(store, chat, treated, clock())
    dispatcher = make_dispatcher(store, bot, clock, limiter=RateLimiter(overall=20))
    clock.set(local(treated + timedelta(days=1), 10, 0))
    task = asyncio.create_task(dispatcher.run_once())
    await server.wait_for_messages_async(None, 5)
    dispatcher.stop()
    report = await asyncio.wait_for(task, 2)
    counts = store.call(outbox.state_counts)
    assert "sending" not in counts
    assert counts["sent"] == report.sent == len(server.sent_messages()) < 60
    assert counts["pending"] == 60 * 4 - report.sent  # the rest of day 1, and days 3, 7 and 28
    assert store.call(
        lambda db: db.conn.execute("SELECT MAX(attempts) FROM outbox WHERE state = 'pending'").fetchone()
    ) == (0,)


async def test_a_checkins_alerts_only_ever_become_more_urgent(store: Store) -> None:
    treated = date(2026, 6, 1)
    clock = FakeClock(local(treated, 12))
    treatment = await enroll(store, 7100, treated, clock())
    row = rows(store, treatment)[1]
    raise_for = services_for(store, clock).checkins.alerts.for_checkin
    assert store.call(raise_for, row, Tier.SAME_DAY) is not None
    assert store.call(raise_for, row, Tier.ROUTINE) is None
    assert store.call(raise_for, row, Tier.EMERGENCY) is not None
    assert store.call(raise_for, row, Tier.SAME_DAY) is None
    found = store.call(lambda db: [a.tier for a in alerts.open_alerts(db)])
    assert found == [Tier.EMERGENCY, Tier.SAME_DAY]
