"""Treatment dates typed by patients during set-up, and the dates the front desk may use."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.core.answer import Engine
from bot.core.dates import parse_date
from bot.services.views import DateStatus
from bot.storage import Store
from tests.conftest import FakeClock, make_services

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("20/11/2026", date(2026, 11, 20)),
        ("20.11.26", date(2026, 11, 20)),
        ("20/11", date(2026, 11, 20)),
        ("20 November", date(2026, 11, 20)),
        ("20th nov", date(2026, 11, 20)),
        ("Nov 20", date(2026, 11, 20)),
        ("25 December", date(2025, 12, 25)),  # without a year: the most recent one
        ("31/02/2026", None),
        ("last tuesday", None),
        ("20 Smarch", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text, date(2026, 11, 23), MONTHS) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("24 November", date(2026, 11, 23), date(2026, 11, 24)),  # tomorrow, not last year's (day 364)
        ("30/11", date(2026, 11, 23), date(2026, 11, 30)),
        ("2 January", date(2026, 12, 30), date(2027, 1, 2)),  # across the new year
        ("1 December", date(2026, 11, 23), date(2025, 12, 1)),  # further ahead: last year's, as before
    ],
)
def test_a_yearless_date_a_few_days_ahead_is_in_the_future(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today, MONTHS) == expected


def test_a_yearless_date_tomorrow_is_refused_as_future(store: Store, engine: Engine) -> None:
    services = make_services(store, engine, FakeClock(datetime(2026, 11, 23, 12, tzinfo=UTC)))
    assert services.enrollment.read_date("24 November").status is DateStatus.FUTURE


def test_dates_are_checked_in_the_clinic_zone(store: Store, engine: Engine) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    services = make_services(store, engine, clock, timezone="Asia/Tokyo")
    # It is already 24 November in Tokyo.
    assert services.enrollment.check_date(date(2026, 11, 24)).status is DateStatus.OK
    assert services.enrollment.check_date(date(2026, 11, 25)).status is DateStatus.FUTURE
    assert services.enrollment.check_date(date(2025, 11, 23)).status is DateStatus.TOO_OLD
    assert services.enrollment.days_ago(1) == date(2026, 11, 23)
