"""Plain data the services return to any front end (the Telegram adapter, the CLI, tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.core.answer import Answer
from bot.core.recovery import Milestone


@dataclass(frozen=True)
class PatientView:
    """A patient and their current treatment, with today's day of recovery in their time zone."""

    chat_id: int
    name: str | None
    procedure_id: str
    procedure_name: str
    treated_on: date
    day: int
    timezone: str
    muted: bool
    patient_id: int = 0
    variant: str | None = None
    holds: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """The answer to a message; `patient` is None when the sender is not enrolled yet."""

    answer: Answer
    patient: PatientView | None
    clinic_open: bool = True  # False: a warning-sign reply also says the clinic is closed now
    offer_person: bool = False  # a staff chat can take a handoff: offer "Talk to a person" when unsure


class RedeemStatus(StrEnum):
    """How opening an enrollment link went."""

    LINKED = "linked"
    ALREADY_YOURS = "already_yours"
    INVALID = "invalid"
    TAKEN = "taken"
    """The link belongs to another account, or this account is already a patient under another link."""


@dataclass(frozen=True)
class Redeemed:
    """The outcome of `/start <payload>`: invalid links say nothing about why."""

    status: RedeemStatus
    patient: PatientView | None = None


class DateStatus(StrEnum):
    """Whether a treatment date can be used."""

    OK = "ok"
    FUTURE = "future"
    TOO_OLD = "too_old"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class DateCheck:
    """A checked treatment date."""

    status: DateStatus
    treated_on: date | None = None


@dataclass(frozen=True)
class TodayView:
    """Where the patient is in recovery: what is fine again, what is still on hold."""

    patient: PatientView
    allowed: list[Milestone]
    on_hold: list[Milestone]


@dataclass(frozen=True)
class PlanView:
    """The whole timeline of a procedure, day by day."""

    patient: PatientView
    days: list[tuple[int, list[Milestone]]]


@dataclass(frozen=True)
class Forgotten:
    """What `/forget` deleted: rows per table (empty when nothing was stored)."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def anything(self) -> bool:
        """True when something was deleted."""
        return bool(self.counts)


@dataclass(frozen=True)
class Invitation:
    """A new enrollment link."""

    invite_id: int
    payload: str
    url: str
    expires_at: str
