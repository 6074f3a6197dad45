"""The pure check-in rules: configuration, due times across DST, quiet hours, catch-up, and the text."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.checkins import (
    Action,
    CheckinSettings,
    checkin_text,
    decide,
    next_allowed,
    parse_hhmm,
    parse_quiet_hours,
    plan,
    step_due_at,
)
from tests.checkin_support import shipped_engine

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
QUIET = (time(21, 0), time(8, 0))


def test_settings_from_environment() -> None:
    assert CheckinSettings.from_environ({}) == CheckinSettings(time(10, 0), QUIET)
    custom = CheckinSettings.from_environ({"AFTERCARE_CHECKIN_TIME": "9:30", "AFTERCARE_QUIET_HOURS": "off"})
    assert custom == CheckinSettings(time(9, 30), None)
    assert parse_quiet_hours("22:00-07:30") == (time(22, 0), time(7, 30))
    for bad in ("25:00", "10", "10:60", "ten"):
        with pytest.raises(ValueError):
            parse_hhmm(bad)
    with pytest.raises(ValueError):
        parse_quiet_hours("21:00")
    with pytest.raises(ValueError, match=r"^AFTERCARE_CHECKIN_TIME: expected a time"):
        CheckinSettings.from_environ({"AFTERCARE_CHECKIN_TIME": "25:00"})
    with pytest.raises(ValueError, match=r"^AFTERCARE_QUIET_HOURS: expected quiet hours"):
        CheckinSettings.from_environ({"AFTERCARE_QUIET_HOURS": "nights"})
    with pytest.raises(ValueError, match="inside the quiet hours"):
        CheckinSettings.from_environ({"AFTERCARE_CHECKIN_TIME": "22:00"})


@pytest.mark.parametrize(
    ("tz", "treated_on", "offsets"),
    [
        # Europe/London: BST starts Sunday 29 March 2026 and ends Sunday 25 October 2026.
        (LONDON, date(2026, 3, 28), {1: 1, 3: 1, 7: 1, 28: 1}),
        (LONDON, date(2026, 3, 27), {1: 0, 3: 1, 7: 1, 28: 1}),
        (LONDON, date(2026, 10, 22), {1: 1, 3: 0, 7: 0, 28: 0}),
        # America/New_York: EDT starts Sunday 8 March 2026 and ends Sunday 1 November 2026.
        (NEW_YORK, date(2026, 3, 6), {1: -5, 3: -4, 7: -4, 28: -4}),
        (NEW_YORK, date(2026, 10, 30), {1: -4, 3: -5, 7: -5, 28: -5}),
    ],
)
def test_due_at_ten_local_across_dst(tz: ZoneInfo, treated_on: date, offsets: dict[int, int]) -> None:
    settings = CheckinSettings()
    for day, offset in offsets.items():
        due = step_due_at(treated_on, day, tz, settings)
        local = due.astimezone(tz)
        assert (local.date(), local.time()) == (treated_on + timedelta(days=day), time(10, 0))
        assert local.utcoffset() == timedelta(hours=offset)
        assert due.tzinfo is UTC


def test_a_checkin_time_inside_a_dst_gap_moves_forward_not_back() -> None:
    # 01:30 does not exist in London on 29 March 2026; the check-in goes out just after the clocks jump.
    settings = CheckinSettings(checkin_time=time(1, 30), quiet_hours=None)
    due = step_due_at(date(2026, 3, 28), 1, LONDON, settings)
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due.astimezone(LONDON).time() == time(2, 30)


def test_quiet_hours_move_a_send_to_the_morning() -> None:
    evening = datetime(2026, 6, 10, 21, 30, tzinfo=LONDON)
    assert next_allowed(evening, LONDON, QUIET) == datetime(2026, 6, 11, 8, 0, tzinfo=LONDON)
    early = datetime(2026, 6, 10, 6, 0, tzinfo=LONDON)
    assert next_allowed(early, LONDON, QUIET) == datetime(2026, 6, 10, 8, 0, tzinfo=LONDON)
    day = datetime(2026, 6, 10, 12, 0, tzinfo=LONDON)
    assert next_allowed(day, LONDON, QUIET) == day
    assert next_allowed(evening, LONDON, None) == evening


def test_plan_expiry_and_late_steps() -> None:
    steps = shipped_engine().kb.procedures["microneedling"].checkins.steps
    treated = date(2026, 6, 1)
    now = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)  # day 2, 10:00 London is 09:00 UTC: day 1 already passed
    planned = {p.day: p for p in plan(steps, treated, LONDON, CheckinSettings(), now)}
    assert sorted(planned) == [1, 3, 7, 28]
    assert planned[1].late and not planned[3].late
    assert planned[1].expires_at == planned[1].due_at + timedelta(hours=24)  # day 3 is later than 24 h
    assert planned[28].expires_at == planned[28].due_at + timedelta(hours=24)
    short = plan((steps[0], type(steps[0])(2, "x")), treated, LONDON, CheckinSettings(), now)
    assert short[0].expires_at == short[1].due_at == short[0].due_at + timedelta(days=1)


def test_decide_catch_up_policy() -> None:
    due = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)  # 10:00 London
    expires = due + timedelta(hours=24)
    assert decide(due + timedelta(hours=6), expires, LONDON, QUIET).action is Action.SEND
    assert decide(expires, expires, LONDON, QUIET).reason == "expired"
    night = decide(datetime(2026, 6, 3, 21, 0, tzinfo=UTC), expires, LONDON, QUIET)  # 22:00 London
    assert night.action is Action.DEFER and night.until == datetime(2026, 6, 4, 7, 0, tzinfo=UTC)
    # If the morning is past the expiry, the check-in is no longer useful.
    early_expiry = datetime(2026, 6, 4, 6, 0, tzinfo=UTC)
    assert decide(datetime(2026, 6, 3, 21, 0, tzinfo=UTC), early_expiry, LONDON, QUIET).reason == "expired"


def test_checkin_text_for_the_day() -> None:
    engine = shipped_engine()
    procedure = engine.kb.procedures["microneedling"]
    day3 = checkin_text(engine.kb, procedure, 3, engine.clinic.values())
    assert day3.startswith("Day 3: how are you getting on?")
    assert "From today you can restart workouts and sweaty exercise." in day3
    assert "• alcohol" in day3  # allowed since day 2, after the previous check-in
    day7 = checkin_text(engine.kb, procedure, 7, engine.clinic.values())
    assert "• acids and exfoliants" in day7 and "• retinol" in day7
    day28 = checkin_text(engine.kb, procedure, 28, engine.clinic.values())
    assert "How are your results looking?" in day28 and "book" in day28
    day1 = checkin_text(engine.kb, procedure, 1, engine.clinic.values())
    assert "microneedling" in day1 and "{" not in day1 + day3 + day7 + day28


@settings(max_examples=200, deadline=None)
@given(
    treated_on=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    zone_name=st.sampled_from(
        ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
    ),
    hour=st.integers(min_value=8, max_value=20),
    minute=st.sampled_from([0, 15, 30, 59]),
)
def test_every_step_is_due_at_the_local_checkin_time_outside_quiet_hours(
    treated_on: date, zone_name: str, hour: int, minute: int
) -> None:
    tz = ZoneInfo(zone_name)
    config = CheckinSettings(checkin_time=time(hour, minute))
    steps = shipped_engine().kb.procedures["microneedling"].checkins.steps
    planned = plan(steps, treated_on, tz, config, datetime(2025, 1, 1, tzinfo=UTC))
    for step in planned:
        local = step.due_at.astimezone(tz)
        assert local.date() == treated_on + timedelta(days=step.day)
        assert local.time() == time(hour, minute)
        assert step.due_at < step.expires_at <= step.due_at + timedelta(hours=24)
    assert all(a.expires_at <= b.due_at for a, b in itertools.pairwise(planned))
