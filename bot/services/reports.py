"""What staff ask about: active patients, unanswered questions grouped, and figures over 7 and 30 days."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, timedelta

from bot.core.grouping import Group, group_questions
from bot.core.recovery import recovery_day
from bot.services.base import Deps
from bot.storage import alerts, reports

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
    """Read-only use cases for staff."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def patients(self) -> list[PatientLine]:
        """Patients treated in the last 30 days, with their day and last check-in answer."""
        since = self.deps.today() - timedelta(days=ACTIVE_DAYS)
        rows = await self.deps.store.run(reports.active_patients, since)
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
        moment = self.deps.clock().astimezone(UTC) - timedelta(days=days)
        return moment.isoformat(timespec="seconds")

    async def stats(self) -> Stats:
        """Figures over the last 7 and 30 days."""
        periods = []
        for days in PERIODS:
            since = self._since(days)
            counts = await self.deps.store.run(reports.counts_since, since)
            total, waits = await self.deps.store.run(alerts.ack_times, since)
            median = statistics.median(waits) if waits else None
            periods.append(Period(days, counts, total, len(waits), median))
        active = len(await self.patients())
        return Stats(active, periods)

    async def unanswered(self, days: int = 30) -> list[Group]:
        """Questions the bot could not answer in the last `days` days, grouped by similarity."""
        rows = await self.deps.store.run(reports.unanswered_since, self._since(days))
        return group_questions(text for _, text in rows)
