"""Check-in scheduling service: plan a treatment's check-ins into the outbox, and dispatch due rows.

The outbox in the database is the schedule; this module claims due rows, sends them through a `Sender`
(the Telegram adapter lives in `bot.telegram.checkins`), and records each outcome. Error policy:
429 -> pause all sends for `retry_after` and retry; 403 -> the patient is unreachable (recorded once for
staff); a timeout after the request went out -> `uncertain`, never resent blindly; failures before sending
-> retried with backoff.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.checkin_answers import encode_option
from bot.core.checkins import Action, CheckinSettings, checkin_text, decide, plan, zone
from bot.core.model import KnowledgeBase
from bot.ratelimit import RateLimiter
from bot.services.alerts import AlertView
from bot.services.base import Clock, system_clock
from bot.services.messaging import Button
from bot.storage import Store, checkin_log, outbox
from bot.storage.alerts import ALERT
from bot.storage.outbox import CHECKIN, NewRow, OutboxRow

log = logging.getLogger(__name__)

# -- sending -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to send: text and rows of (label, callback data) buttons."""

    chat_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


class SendError(Exception):
    """Base of the outcomes a `Sender` reports instead of a message id."""


class RateLimited(SendError):
    """Telegram answered 429: wait `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class Blocked(SendError):
    """Telegram answered 403: the user blocked the bot."""


class Rejected(SendError):
    """Telegram refused the message for good (e.g. 400 chat not found)."""


class NotSent(SendError):
    """The request certainly did not reach Telegram (connection refused, 5xx): safe to retry."""


class Uncertain(SendError):
    """The request may have been delivered (a read timeout): do not resend blindly."""


class Sender(Protocol):
    """Sends one message and returns Telegram's message id, or raises a `SendError`."""

    async def send(self, message: OutgoingMessage) -> int:
        """Send `message`."""


# -- planning ------------------------------------------------------------------------------------------


async def plan_checkins(
    store: Store,
    kb: KnowledgeBase,
    treatment_id: int,
    now: datetime | None = None,
    settings: CheckinSettings | None = None,
) -> int:
    """Put a treatment's check-ins into the outbox (idempotent) and retire the pending ones of the patient's
    older treatments. Steps already due at `now` (default: when the treatment was recorded) are stored as
    skipped. Return how many rows were new."""
    info = await store.run(outbox.planning_info, treatment_id)
    if info is None:
        raise KeyError(f"unknown treatment {treatment_id}")
    procedure = kb.procedures.get(info.procedure)
    if procedure is None:
        raise KeyError(f"unknown procedure {info.procedure!r}")
    moment = now or info.created_at or system_clock()
    tz = zone(info.timezone)
    planned = plan(procedure.checkins.steps, info.treated_on, tz, settings or CheckinSettings(), moment)
    rows = [
        NewRow(
            kind=CHECKIN,
            dedupe_key=f"treatment:{treatment_id}:day:{p.day}",
            chat_id=info.chat_id,
            due_at=p.due_at,
            expires_at=p.expires_at,
            treatment_id=treatment_id,
            patient_id=info.patient_id,
            step_day=p.day,
            state="skipped" if p.late else "pending",
            last_error="enrolled_late" if p.late else None,
        )
        for p in planned
    ]
    added = await store.run(outbox.insert_rows, rows, moment)
    await store.run(outbox.supersede_older, info.patient_id, treatment_id, moment)
    return added


async def resume_after_unblock(store: Store, chat_id: int, now: datetime) -> int:
    """The patient of `chat_id` unblocked the bot: bring back their future check-ins, which were skipped as
    unreachable when a send met the block. Call it with the unblock (`my_chat_member`) update."""
    return await store.run(outbox.resume_unreachable, chat_id, now)


async def skip_overdue_checkins(store: Store, chat_id: int, now: datetime) -> int:
    """Before /unmute: skip the check-ins whose time passed while the patient of `chat_id` was muted, so
    only future ones are sent (nothing when they are not muted)."""
    return await store.run(outbox.skip_overdue_if_muted, chat_id, now)


# -- dispatching ---------------------------------------------------------------------------------------


@dataclass
class DispatchReport:
    """What one dispatch pass did."""

    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    retried: int = 0
    rate_limited: int = 0
    blocked: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class DispatchPolicy:
    """Tunables of the dispatcher."""

    concurrency: int = 6
    batch: int = 30
    inline_retries: int = 3
    backoff: tuple[float, ...] = (0.5, 1.0, 2.0)
    later: timedelta = timedelta(minutes=2)
    max_attempts: int = 12


Composer = Callable[[OutboxRow], OutgoingMessage]


@dataclass
class Dispatcher:
    """Claims due outbox rows and sends them politely; one pass at a time."""

    store: Store
    kb: KnowledgeBase
    sender: Sender
    settings: CheckinSettings = field(default_factory=CheckinSettings)
    clock: Clock = system_clock
    limiter: RateLimiter = field(default_factory=RateLimiter)
    policy: DispatchPolicy = field(default_factory=DispatchPolicy)
    values: Mapping[str, object] = field(default_factory=dict)
    composers: dict[str, Composer] = field(default_factory=dict)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    keep_going: Callable[[], bool] = lambda: True
    """False once the application stops: the pass then ends soon, returning unsent rows to pending."""
    first: tuple[str, ...] = (ALERT,)
    """Kinds claimed and sent before any other due row (staff alerts before a check-in backlog)."""
    _running: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _more: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _low: asyncio.Event | None = field(default=None, init=False)
    _recovered: bool = field(default=False, init=False)
    _unplannable: set[int] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.composers.setdefault(CHECKIN, self.compose_checkin)

    @property
    def busy(self) -> bool:
        """True while a pass is running."""
        return self._running.locked()

    def send_alerts_with(self, compose: Callable[[int, AlertView], OutgoingMessage]) -> None:
        """Send the queued staff alerts, each composed by `compose(staff chat id, alert)`."""

        def composer(row: OutboxRow) -> OutgoingMessage:
            if row.payload is None:
                raise ValueError("alert row without payload")
            return compose(row.chat_id, AlertView.from_json(row.payload))

        self.composers[ALERT] = composer

    def compose_checkin(self, row: OutboxRow) -> OutgoingMessage:
        """The check-in message of a row, with its answer buttons."""
        if row.procedure is None or row.step_day is None:
            raise ValueError("check-in row without treatment")
        procedure = self.kb.procedures[row.procedure]
        text = checkin_text(self.kb, procedure, row.step_day, self.values)
        buttons = tuple((Button(o.label, encode_option(row.id, o.id)),) for o in procedure.checkins.options)
        return OutgoingMessage(row.chat_id, text, buttons)

    def judge(self, row: OutboxRow) -> outbox.Verdict:
        """Claim-time verdict for a due row: send, defer past quiet hours, or skip."""
        if row.kind != CHECKIN:
            return ("send", None, None)
        if row.unreachable:
            return ("skip", None, "unreachable")
        if row.muted:
            return ("skip", None, "muted")
        decision = decide(self.clock(), row.expires_at, zone(row.timezone), self.settings.quiet_hours)
        if decision.action is Action.SEND:
            return ("send", None, None)
        if decision.action is Action.DEFER:
            return ("defer", decision.until, None)
        return ("skip", None, decision.reason)

    async def recover(self) -> list[int]:
        """Once at start-up: rows a crash left `sending` go back to pending."""
        ids = await self.store.run(outbox.recover_interrupted, self.clock())
        self._recovered = True
        if ids:
            log.warning("re-queued %d check-in(s) interrupted while sending", len(ids))
        return ids

    async def plan_new(self) -> int:
        """Plan the check-ins of treatments enrolled since the last pass (as of their enrollment time)."""
        planned = 0
        after = 0
        while found := await self.store.run(outbox.unplanned_treatments, after, 500):
            after = found[-1]
            for treatment_id in (t for t in found if t not in self._unplannable):
                try:
                    added = await plan_checkins(self.store, self.kb, treatment_id, None, self.settings)
                except KeyError:
                    log.warning("no check-in plan for treatment %d (unknown procedure)", treatment_id)
                    added = 0
                if added == 0:  # nothing to plan: do not look at it again
                    self._unplannable.add(treatment_id)
                planned += added
        return planned

    def wake(self) -> bool:
        """Have due rows (a new alert) sent soon. During a pass, it claims again at once and sends the alert
        ahead of the check-ins it holds, so an alert does not wait for a long check-in pass to end; a wake
        after the pass's last claim makes it claim once more. Returns True when no pass is running: the
        caller then starts one (`run_once`, as a task of the application)."""
        self._more.set()
        if self._low is not None:
            self._low.set()
        return not self.busy

    async def run_once(self) -> DispatchReport:
        """Send everything due now; returns at once if a pass is already running.

        Workers take claimed rows from a queue, rows of the `first` kinds (alerts) ahead of the others; a new
        batch is claimed when the queue runs low or `wake` is called, so sending never stalls at a batch
        boundary (and at most about one batch is `sending` but not yet attempted)."""
        report = DispatchReport()
        if self._running.locked():
            return report
        async with self._running:
            if not self._recovered:
                await self.recover()
            self._more.set()
            while self._more.is_set() and self.keep_going():
                await self.plan_new()  # again on each round: a wake may come with a new enrollment
                await self._pass(report)
        return report

    async def _pass(self, report: DispatchReport) -> None:
        queue: asyncio.PriorityQueue[tuple[int, int, OutboxRow | None]] = asyncio.PriorityQueue()
        low = self._low = asyncio.Event()
        watermark = max(1, self.policy.batch // 2)
        order = itertools.count()

        async def worker() -> None:
            while (row := (await queue.get())[2]) is not None:
                if queue.qsize() <= watermark:
                    low.set()
                try:
                    if self.keep_going():
                        await self._deliver(row, report)
                    else:
                        await self.store.run(outbox.release, row.id, self.clock())
                except Exception as exc:  # keep the worker alive; the row is re-queued at start-up
                    log.error("dispatch failed for outbox row %d: %s", row.id, type(exc).__name__)

        workers = [asyncio.create_task(worker()) for _ in range(self.policy.concurrency)]
        try:
            # Only kinds with a composer: rows of a feature that is not registered wait for it.
            kinds = tuple(sorted(self.composers))
            while self.keep_going():
                self._more.clear()
                rows = await self.store.run(
                    outbox.claim_due, self.clock(), self.policy.batch, self.judge, kinds, self.first
                )
                if not rows:
                    break
                for row in rows:
                    queue.put_nowait((0 if row.kind in self.first else 1, next(order), row))
                while queue.qsize() > watermark and not self._more.is_set():
                    low.clear()
                    await low.wait()
        finally:
            self._low = None
            for _ in workers:
                queue.put_nowait((2, next(order), None))
            await asyncio.gather(*workers)

    async def _deliver(self, row: OutboxRow, report: DispatchReport) -> None:
        try:
            message = self.composers[row.kind](row)
        except Exception as exc:  # a bad row must not stop the others
            log.error("cannot compose outbox row %d: %s", row.id, type(exc).__name__)
            await self.store.run(outbox.mark_failed, row.id, f"compose:{type(exc).__name__}", self.clock())
            report.failed += 1
            return
        attempts = row.attempts + 1
        retries = 0
        while True:
            await self.limiter.acquire(row.chat_id)
            try:
                message_id = await self.sender.send(message)
            except RateLimited as exc:
                report.rate_limited += 1
                self.limiter.pause(exc.retry_after)
                if not await self._again(row, attempts, "429", timedelta(seconds=exc.retry_after), report):
                    return
            except Blocked:
                await self._blocked(row, report)
                return
            except Rejected as exc:
                await self.store.run(outbox.mark_failed, row.id, f"rejected:{exc}"[:200], self.clock())
                report.failed += 1
                return
            except Uncertain as exc:
                await self.store.run(outbox.mark_uncertain, row.id, f"uncertain:{exc}"[:200], self.clock())
                report.uncertain += 1
                return
            except NotSent:
                delay = self.policy.backoff[min(retries, len(self.policy.backoff) - 1)]
                retries += 1
                if retries > self.policy.inline_retries:
                    await self._later(row, attempts, "not_sent", report)
                    return
                await self.sleep(delay)
                if not await self._again(row, attempts, "not_sent", timedelta(seconds=delay), report):
                    return
            except Exception as exc:  # unknown: it may have gone out, so do not resend blindly
                log.error("unexpected send failure for outbox row %d: %s", row.id, type(exc).__name__)
                await self.store.run(outbox.mark_uncertain, row.id, type(exc).__name__, self.clock())
                report.uncertain += 1
                return
            else:
                await self.store.run(outbox.mark_sent, row.id, message_id, self.clock())
                report.sent += 1
                return
            attempts += 1

    async def _again(
        self, row: OutboxRow, attempts: int, error: str, wait: timedelta, report: DispatchReport
    ) -> bool:
        """Whether to retry inside this pass (else the row is closed or put back for later)."""
        if attempts >= self.policy.max_attempts:
            await self.store.run(outbox.mark_failed, row.id, f"gave_up:{error}", self.clock())
            report.failed += 1
            return False
        if row.expires_at is not None and self.clock() + wait >= row.expires_at:
            await self.store.run(outbox.mark_skipped, row.id, "expired", self.clock())
            report.skipped += 1
            return False
        await self.store.run(outbox.count_attempt, row.id, self.clock())
        report.retried += 1
        return True

    async def _later(self, row: OutboxRow, attempts: int, error: str, report: DispatchReport) -> None:
        if attempts >= self.policy.max_attempts:
            await self.store.run(outbox.mark_failed, row.id, f"gave_up:{error}", self.clock())
            report.failed += 1
            return
        now = self.clock()
        await self.store.run(outbox.retry_later, row.id, now + self.policy.later, error, now)
        report.retried += 1

    async def _blocked(self, row: OutboxRow, report: DispatchReport) -> None:
        now = self.clock()
        await self.store.run(outbox.mark_failed, row.id, "blocked", now)
        report.blocked += 1
        if row.patient_id is None:
            return
        if await self.store.run(outbox.mark_patient_unreachable, row.patient_id, now):
            key = f"unreachable:{row.patient_id}:{row.id}"
            await self.store.run(
                checkin_log.record_checkin_event, "unreachable", key, row, now, None, "blocked"
            )
