"""Opening hours (out of them a warning-sign reply says the clinic is closed) and grouping of similar
unanswered questions for /unanswered and `kb suggest`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import ConfigError, load_config, parse_clinic_hours
from bot.core.grouping import group_questions
from bot.core.hours import is_open


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), True),  # Monday 09:00 London (GMT): opens
        (datetime(2026, 11, 23, 8, 59, tzinfo=UTC), False),
        (datetime(2026, 11, 23, 17, 59, tzinfo=UTC), True),
        (datetime(2026, 11, 23, 18, 0, tzinfo=UTC), False),  # closing time is closed
        (datetime(2026, 11, 28, 11, 0, tzinfo=UTC), True),  # Saturday morning
        (datetime(2026, 11, 28, 13, 0, tzinfo=UTC), False),
        (datetime(2026, 11, 29, 12, 0, tzinfo=UTC), False),  # Sunday
        (datetime(2026, 6, 1, 8, 30, tzinfo=UTC), True),  # 09:30 in London summer time (BST)
        (datetime(2026, 6, 1, 17, 30, tzinfo=UTC), False),  # 18:30 BST
    ],
)
def test_is_open_in_the_clinics_time_zone(moment: datetime, expected: bool) -> None:
    hours = parse_clinic_hours("Mon-Fri 09:00-18:00; Sat 10:00-13:00", "Europe/London")
    assert is_open(hours, moment) is expected


def test_day_ranges_wrap_and_midnight_closes() -> None:
    hours = parse_clinic_hours("Fri-Mon 20:00-24:00", "UTC")
    assert {s.weekday for s in hours.spans} == {4, 5, 6, 0}
    assert is_open(hours, datetime(2026, 11, 29, 23, 59, tzinfo=UTC))  # Sunday
    assert not is_open(hours, datetime(2026, 11, 25, 21, 0, tzinfo=UTC))  # Wednesday


@pytest.mark.parametrize("bad", ["Mon-Fri", "Mon-Fry 09:00-18:00", "Mon 18:00-09:00", "Mon 25:00-26:00"])
def test_unreadable_hours_are_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="AFTERCARE_CLINIC_HOURS"):
        load_config({"AFTERCARE_CLINIC_HOURS": bad}, require_token=False)


def test_similar_questions_group_and_different_subjects_do_not() -> None:
    groups = group_questions(
        [
            "can I drink alcohol?",
            "can i drink coffee",
            "Can I drink alcohol tonight",
            "when can i dye my hair",
        ]
    )
    assert [(g.count, g.example) for g in groups] == [
        (2, "can I drink alcohol?"),
        (1, "can i drink coffee"),
        (1, "when can i dye my hair"),
    ]
