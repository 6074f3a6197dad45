"""Reading a treatment date typed by a patient: ISO, day-first numbers, or a day and a month name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

_NUMERIC = re.compile(r"(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NAMED = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([^\W\d_]+)\.?(?:\s+(\d{4}))?")
_NAMED_FIRST = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?")
FUTURE_DAYS = 7  # a yearless date up to this many days ahead is read as this year's (a future date)


def _month(word: str, months: Sequence[str]) -> int | None:
    word = word.lower()
    for index, name in enumerate(months, start=1):
        name = name.lower()
        if len(word) >= 3 and name.startswith(word):
            return index
    return None


def _build(year: int | None, month: int, day: int, today: date) -> date | None:
    try:
        if year is not None:
            return date(year + 2000 if year < 100 else year, month, day)
        found = date(today.year, month, day)
    except ValueError:
        return None
    # Without a year the patient means the most recent such date, unless it is only a few days ahead: then it
    # is a date still to come (refused as such), not one of last year.
    if found <= today or (found - today).days <= FUTURE_DAYS:
        ahead = _build(today.year + 1, month, day, today)  # "2 January" typed on 30 December
        return ahead if ahead is not None and (ahead - today).days <= FUTURE_DAYS else found
    return _build(today.year - 1, month, day, today)


def parse_date(text: str, today: date, months: Sequence[str]) -> date | None:
    """The date in `text` (2026-11-21, 21/11/2026, 21.11, 21 November, Nov 21), else None."""
    text = " ".join(text.strip().lower().split())
    if m := _ISO.fullmatch(text):
        return _build(int(m.group(1)), int(m.group(2)), int(m.group(3)), today)
    if m := _NUMERIC.fullmatch(text):
        year = int(m.group(3)) if m.group(3) else None
        return _build(year, int(m.group(2)), int(m.group(1)), today)
    if m := _NAMED.fullmatch(text):
        month = _month(m.group(2), months)
        year = int(m.group(3)) if m.group(3) else None
        return _build(year, month, int(m.group(1)), today) if month else None
    if m := _NAMED_FIRST.fullmatch(text):
        month = _month(m.group(1), months)
        year = int(m.group(3)) if m.group(3) else None
        return _build(year, month, int(m.group(2)), today) if month else None
    return None
