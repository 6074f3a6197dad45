"""What staff ask about: active patients, unanswered questions grouped, and figures over 7 and 30 days."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta

from sqlite_utils import Database

from bot.core.grouping import Group, group_questions
from bot.core.recovery import recovery_day
from bot.services.base import Deps
from bot.storage import alerts, reports
from bot.storage.stamps import seconds

ACTIVE_DAYS = 30
PERIODS = (7, 30)


@dataclass(frozen=True)
class PatientLine:
    """One line of /patients."""

    name: str | None
    patient_number: int
    procedure: str
    day: int
    last_option: str | None
    last_step_day: int | None
    unreachable: bool


@dataclass(frozen=True)
class Period:
    """The figures of one period of /stats."""

    days: int
    counts: reports.Counts
    alerts: int
    acknowledged: int
    median_ack_minutes: float | None

    @property
    def response_rate(self) -> float | None:
        """Share of sent check-ins that were answered (None when none was sent)."""
        sent = self.counts.checkins_sent
        return self.counts.checkins_answered / sent if sent else None


@dataclass(frozen=True)
class Stats:
    """/stats: active patients now and one `Period` per window."""

    active_patients: int
    periods: list[Period]


class Reports:
    """Read-only use cases for staff (on the database thread)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def patients(self, db: Database, name: str | None = None) -> list[PatientLine]:
        """Patients treated in the last 30 days, or whose name contains `name` whenever treated (staff
        re-treating someone find their number), with their day and last check-in answer."""
        if name:
            rows = reports.patients_named(db, name)
        else:
            rows = reports.active_patients(db, self.deps.today() - timedelta(days=ACTIVE_DAYS))
        kb = self.deps.engine.kb
        return [
            PatientLine(
                r.name,
                r.patient_id,
                kb.procedures[r.procedure].name if r.procedure in kb.procedures else r.procedure,
                max(0, recovery_day(r.treated_on, self.deps.today(r.timezone))),
                r.last_option,
                r.last_step_day,
                r.unreachable,
            )
            for r in rows
        ]

    def _since(self, days: int) -> str:
        return seconds(self.deps.now() - timedelta(days=days))

    def stats(self, db: Database) -> Stats:
        """Figures over the last 7 and 30 days."""
        periods = []
        for days in PERIODS:
            since = self._since(days)
            counts = reports.counts_since(db, since)
            total, waits = alerts.ack_times(db, since)
            median = statistics.median(waits) if waits else None
            periods.append(Period(days, counts, total, len(waits), median))
        return Stats(len(self.patients(db)), periods)

    def unanswered(self, db: Database, days: int = 30) -> list[Group]:
        """Questions the bot could not answer in the last `days` days, grouped by similarity."""
        texts = (text for _, text in reports.unanswered_since(db, self._since(days)))
        return group_questions(texts, stopwords=self.deps.engine.kb.language.stopwords)
