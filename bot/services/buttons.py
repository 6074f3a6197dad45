"""The one codec for button data: every button the bot makes is encoded here, and every press is decoded
here. Anything it did not make (a forged or garbled press) decodes to None, silently."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MAX_BYTES = 64
"""Telegram's limit for callback data."""
_ID = r"[a-z][a-z0-9_]{0,39}"
_NUMBER = r"[0-9]{1,15}"  # ASCII digits only: "²" or "٣" are not numbers here


@dataclass(frozen=True)
class PickProcedure:
    """Set-up: the procedure."""

    procedure: str


@dataclass(frozen=True)
class PickVariant:
    """Set-up: the kind of procedure (a medium peel, lip filler); None = "not sure"."""

    procedure: str
    variant: str | None


@dataclass(frozen=True)
class PickDate:
    """Set-up: today, yesterday, two days ago."""

    procedure: str
    days_ago: int


@dataclass(frozen=True)
class PickZone:
    """Set-up: the time zone (index into the clinic's list) and the date chosen before it."""

    zone: int
    procedure: str
    treated_on: date | None
    days_ago: int | None


@dataclass(frozen=True)
class Suggestion:
    """A "Did you mean" entry."""

    entry: str


@dataclass(frozen=True)
class Forget:
    """The /forget confirmation."""

    confirmed: bool


@dataclass(frozen=True)
class Person:
    """ "Talk to a person"."""


@dataclass(frozen=True)
class AlertAction:
    """ "I'll handle it" or "Open chat" on a staff alert."""

    alert_id: int
    open_chat: bool


@dataclass(frozen=True)
class CheckinOption:
    """An answer to a check-in."""

    outbox_id: int
    option: str


@dataclass(frozen=True)
class WarningAnswer:
    """Yes or no to a warning-sign question after "Something's wrong"."""

    outbox_id: int
    question: int
    yes: bool


@dataclass(frozen=True)
class EnrollChoice:
    """Staff /enroll: the procedure (and variant) of a prepared link."""

    invite_id: int
    procedure: str
    variant: str | None


Press = (
    PickProcedure
    | PickVariant
    | PickDate
    | PickZone
    | Suggestion
    | Forget
    | Person
    | AlertAction
    | CheckinOption
    | WarningAnswer
    | EnrollChoice
)

_NOT_SURE = "_"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (rf"p:({_ID})", "procedure"),
        (rf"v:({_ID}):({_ID}|{_NOT_SURE})", "variant"),
        (rf"d:({_ID}):([0-2])", "date"),
        (rf"z:([0-9]{{1,2}}):({_ID}):([0-9]{{8}}|r[0-2])", "zone"),
        (rf"s:({_ID})", "suggestion"),
        (r"f:(yes|no)", "forget"),
        (r"hp:open", "person"),
        (rf"al:([ho]):({_NUMBER})", "alert"),
        (rf"ci:({_NUMBER}):({_ID})", "checkin"),
        (rf"ci:({_NUMBER}):w([0-9]{{1,2}}):([yn])", "warning"),
        (rf"en:({_NUMBER}):({_ID})(?::({_ID}))?", "enroll"),
    )
)


def encode(press: Press) -> str:
    """The callback data of a button; ValueError beyond Telegram's 64 bytes."""
    match press:
        case PickProcedure(procedure):
            data = f"p:{procedure}"
        case PickVariant(procedure, variant):
            data = f"v:{procedure}:{variant or _NOT_SURE}"
        case PickDate(procedure, days_ago):
            data = f"d:{procedure}:{days_ago}"
        case PickZone(zone, procedure, treated_on, days_ago):
            stamp = treated_on.strftime("%Y%m%d") if treated_on is not None else f"r{days_ago}"
            data = f"z:{zone}:{procedure}:{stamp}"
        case Suggestion(entry):
            data = f"s:{entry}"
        case Forget(confirmed):
            data = f"f:{'yes' if confirmed else 'no'}"
        case Person():
            data = "hp:open"
        case AlertAction(alert_id, open_chat):
            data = f"al:{'o' if open_chat else 'h'}:{alert_id}"
        case CheckinOption(outbox_id, option):
            data = f"ci:{outbox_id}:{option}"
        case WarningAnswer(outbox_id, question, yes):
            data = f"ci:{outbox_id}:w{question}:{'y' if yes else 'n'}"
        case EnrollChoice(invite_id, procedure, variant):
            data = f"en:{invite_id}:{procedure}" + (f":{variant}" if variant else "")
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"button data too long: {data!r}")
    return data


def decode(data: str | None) -> Press | None:
    """The press encoded in `data`, or None for anything this codec did not make."""
    if not data or len(data) > MAX_BYTES or not data.isascii():
        return None
    for pattern, name in _PATTERNS:
        found = pattern.fullmatch(data)
        if found is not None:
            press = _build(name, found.groups())
            # Only what a button carried: "ci:007:all_good" reads as check-in 7, but no button said it so.
            return press if press is not None and encode(press) == data else None
    return None


def _build(name: str, g: tuple[str | None, ...]) -> Press | None:
    text = [x or "" for x in g]
    if name == "procedure":
        return PickProcedure(text[0])
    if name == "variant":
        return PickVariant(text[0], None if text[1] == _NOT_SURE else text[1])
    if name == "date":
        return PickDate(text[0], int(text[1]))
    if name == "zone":
        stamp = text[2]
        if stamp.startswith("r"):
            return PickZone(int(text[0]), text[1], None, int(stamp[1:]))
        try:
            when = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
        except ValueError:
            return None
        return PickZone(int(text[0]), text[1], when, None)
    if name == "suggestion":
        return Suggestion(text[0])
    if name == "forget":
        return Forget(text[0] == "yes")
    if name == "person":
        return Person()
    if name == "alert":
        return AlertAction(int(text[1]), text[0] == "o")
    if name == "checkin":
        return CheckinOption(int(text[0]), text[1])
    if name == "warning":
        return WarningAnswer(int(text[0]), int(text[1]), text[2] == "y")
    return EnrollChoice(int(text[0]), text[1], g[2])
