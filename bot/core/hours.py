"""Clinic opening hours and the one question asked of them: is the clinic open at this moment?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OpeningSpan:
    """Open on `weekday` (0 = Monday) from `opens` until `closes` (same day, `closes` excluded)."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class OpeningHours:
    """The clinic's weekly opening hours in its time zone; `text` is how staff wrote them."""

    spans: tuple[OpeningSpan, ...]
    timezone: str = "UTC"
    text: str = ""


def is_open(hours: OpeningHours, now: datetime) -> bool:
    """True when `now` (any aware datetime) falls in an opening span, in the clinic's time zone."""
    local = now.astimezone(ZoneInfo(hours.timezone))
    moment = local.time().replace(tzinfo=None)
    return any(s.weekday == local.weekday() and s.opens <= moment < s.closes for s in hours.spans)
