"""Check-in scheduling rules: when each step is due, quiet hours, catch-up after downtime, and the text.

Pure: every function takes the current time or date as an argument; times are aware datetimes, stored in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.model import CheckinStep, KnowledgeBase, Procedure
from bot.core.recovery import Milestone, milestones
from bot.core.text import fill

CHECKIN_TIME_VAR = "AFTERCARE_CHECKIN_TIME"
QUIET_HOURS_VAR = "AFTERCARE_QUIET_HOURS"
DEFAULT_CHECKIN_TIME = time(10, 0)
DEFAULT_QUIET_HOURS = (time(21, 0), time(8, 0))
CATCH_UP_WINDOW = timedelta(hours=24)
"""A missed check-in is still sent up to this long after its time (and never after the next step's time)."""

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: str) -> time:
    """`10:00` -> time(10, 0); ValueError for anything else."""
    match = _HHMM.match(value.strip())
    if not match:
        raise ValueError(f"expected a time as HH:MM, got {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """`21:00-08:00` -> (start, end); `off` (or empty) -> None."""
    text = value.strip().lower()
    if text in ("", "off", "none", "no"):
        return None
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"expected quiet hours as HH:MM-HH:MM or 'off', got {value!r}")
    quiet = (parse_hhmm(start), parse_hhmm(end))
    if quiet[0] == quiet[1]:
        raise ValueError(f"quiet hours must not start and end at the same time: {value!r}")
    return quiet


@dataclass(frozen=True)
class CheckinSettings:
    """The clinic's local check-in time and quiet hours (None = no quiet hours)."""

    checkin_time: time = DEFAULT_CHECKIN_TIME
    quiet_hours: tuple[time, time] | None = DEFAULT_QUIET_HOURS

    def __post_init__(self) -> None:
        if in_quiet_hours(self.checkin_time, self.quiet_hours):
            raise ValueError("the check-in time falls inside the quiet hours")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> CheckinSettings:
        """Read `AFTERCARE_CHECKIN_TIME` and `AFTERCARE_QUIET_HOURS` from a mapping (defaults when unset);
        ValueError naming the variable when one is malformed."""
        checkin = environ.get(CHECKIN_TIME_VAR, "").strip()
        quiet = environ.get(QUIET_HOURS_VAR)
        try:
            at = parse_hhmm(checkin) if checkin else DEFAULT_CHECKIN_TIME
        except ValueError as exc:
            raise ValueError(f"{CHECKIN_TIME_VAR}: {exc}") from None
        try:
            hours = DEFAULT_QUIET_HOURS if quiet is None else parse_quiet_hours(quiet)
            return cls(checkin_time=at, quiet_hours=hours)
        except ValueError as exc:
            raise ValueError(f"{QUIET_HOURS_VAR}: {exc}") from None


def zone(name: str | None) -> ZoneInfo:
    """The time zone called `name`, UTC when it is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def in_quiet_hours(moment: time, quiet: tuple[time, time] | None) -> bool:
    """True when the local wall-clock time `moment` is inside the quiet hours."""
    if quiet is None:
        return False
    start, end = quiet
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant of wall-clock `at` on `day` in `tz` (a time skipped by DST moves forward past the gap)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def next_allowed(instant: datetime, tz: ZoneInfo, quiet: tuple[time, time] | None) -> datetime:
    """`instant` itself, or the end of the quiet hours it falls in (UTC)."""
    local = instant.astimezone(tz)
    wall = local.time().replace(tzinfo=None)
    if quiet is None or not in_quiet_hours(wall, quiet):
        return instant.astimezone(UTC)
    start, end = quiet
    end_day = local.date() + timedelta(days=1) if start > end and wall >= start else local.date()
    return _local(end_day, end, tz)


@dataclass(frozen=True)
class PlannedCheckin:
    """One step of a treatment's plan: when it is due and until when it is still worth sending."""

    day: int
    due_at: datetime
    expires_at: datetime
    late: bool
    """True when the step's time had already passed at planning (the patient enrolled after it)."""


def step_due_at(treated_on: date, day: int, tz: ZoneInfo, settings: CheckinSettings) -> datetime:
    """UTC instant of the check-in for `day`: the check-in time on that local date, outside quiet hours."""
    due = _local(treated_on + timedelta(days=day), settings.checkin_time, tz)
    return next_allowed(due, tz, settings.quiet_hours)


HOURS_STEP_WINDOW = timedelta(hours=2)
"""A step timed in hours after the treatment (a same-day screen) is worth sending only this long after its
time: one that would fall in the quiet hours is skipped rather than sent the next morning."""


def plan(
    steps: tuple[CheckinStep, ...],
    treated_on: date,
    tz: ZoneInfo,
    settings: CheckinSettings,
    now: datetime,
    recorded_at: datetime | None = None,
) -> list[PlannedCheckin]:
    """Every step of a plan with its due time and expiry; steps already due at `now` are marked late.

    A step with `after_hours` is due that many hours after `recorded_at` (when the clinic enrolled the
    treatment, about when it ended); without it, at the check-in time of that day."""
    ordered = sorted(steps, key=lambda s: s.day)
    dues = [
        (recorded_at or now) + timedelta(hours=s.after_hours)
        if s.after_hours is not None
        else step_due_at(treated_on, s.day, tz, settings)
        for s in ordered
    ]
    planned = []
    for index, step in enumerate(ordered):
        window = HOURS_STEP_WINDOW if step.after_hours is not None else CATCH_UP_WINDOW
        expires = dues[index] + window
        if index + 1 < len(dues):
            expires = min(expires, dues[index + 1])
        planned.append(PlannedCheckin(step.day, dues[index], expires, late=dues[index] <= now))
    return planned


class Action(StrEnum):
    """What the dispatcher does with a due row."""

    SEND = "send"
    DEFER = "defer"
    SKIP = "skip"


class SkipReason(StrEnum):
    """Why a scheduled message is not sent."""

    EXPIRED = "expired"
    """No longer useful (a check-in caught up more than a day late, or past the next step)."""
    MUTED = "muted"
    UNREACHABLE = "unreachable"
    """The patient blocked the bot."""
    ENROLLED_LATE = "enrolled_late"
    """The step's time had passed when the treatment was enrolled."""
    SUPERSEDED = "superseded"
    """A newer treatment's plan covers the same day."""
    ACKNOWLEDGED = "acknowledged"
    """An alert's repeat, once a staff member took the alert."""
    REPLANNED = "replanned"
    """The treatment's date, the patient's zone or the check-in time changed: planned again."""


@dataclass(frozen=True)
class Decision:
    """The dispatcher's verdict for one due row; `until` is set for DEFER, `reason` for SKIP."""

    action: Action
    until: datetime | None = None
    reason: SkipReason | None = None


def decide(
    now: datetime,
    expires_at: datetime | None,
    tz: ZoneInfo,
    quiet: tuple[time, time] | None,
) -> Decision:
    """Send now, wait for the end of quiet hours, or skip because the check-in is no longer useful."""
    if expires_at is not None and now >= expires_at:
        return Decision(Action.SKIP, reason=SkipReason.EXPIRED)
    allowed = next_allowed(now, tz, quiet)
    if allowed > now:
        if expires_at is not None and allowed >= expires_at:
            return Decision(Action.SKIP, reason=SkipReason.EXPIRED)
        return Decision(Action.DEFER, until=allowed)
    return Decision(Action.SEND)


def _subjects(kb: KnowledgeBase, found: list[Milestone], key: str, values: Mapping[str, object]) -> str:
    subjects = list(dict.fromkeys(m.subject for m in found))
    if not subjects:
        return ""
    if len(subjects) == 1:
        return fill(kb.message(f"checkins.{key}_one"), {**values, "subject": subjects[0]})
    bullet = kb.message("checkins.bullet", "- ")
    listed = "\n".join(f"{bullet}{s}" for s in subjects)
    return fill(kb.message(f"checkins.{key}_many"), {**values, "subject": listed})


def checkin_text(kb: KnowledgeBase, procedure: Procedure, day: int, values: Mapping[str, object]) -> str:
    """The check-in message for `day`: the step's text, then what is allowed again from today (and since
    the previous check-in)."""
    steps = sorted(procedure.checkins.steps, key=lambda s: s.day)
    step = next(s for s in steps if s.day == day)
    previous = max((s.day for s in steps if s.day < day), default=0)
    values = {**values, "procedure": procedure.name, "day": day}
    # Only what the patient waits for: nothing that is allowed from the treatment day itself, nothing a
    # restriction says is not a wait (daily sunscreen).
    every = [m for m in milestones(procedure) if m.day > 0 and m.announce]
    today = [m for m in every if m.day == day and not m.discouraged]
    since = [m for m in every if previous < m.day < day and not m.discouraged]
    # The end of a break from something never encouraged (smoking) is said as such, never "you can restart".
    ended = [m for m in every if previous < m.day <= day and m.discouraged]
    parts = [
        fill(step.text, values),
        _subjects(kb, today, "from_today", values),
        _subjects(kb, since, "since_last", values),
        _subjects(kb, ended, "wait_over", values),
        fill(kb.message("checkins.question"), values),
    ]
    return "\n\n".join(p for p in parts if p)
