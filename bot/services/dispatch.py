"""Sending the outbox: the one send path of every message (replies, relays, staff alerts, check-ins).

Due rows are claimed most urgent first, sent through a `Sender` (the Telegram adapter, which keeps to
Telegram's limits), and each outcome is recorded. The messages of one chat go out one at a time, in order.
Error policy: 429 -> pause every send for `retry_after` and retry; 403 -> the patient blocked the bot
(unreachable, staff told once); a timeout after the request went out -> `uncertain`, never resent blindly
(staff told once); failures before sending -> retried with backoff until it is delivered or refused for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlite_utils import Database

from bot.core.checkins import Action as Verdict
from bot.core.checkins import Decision, SkipReason, decide, zone
from bot.services.base import Deps
from bot.services.checkins import Checkins
from bot.services.outcome import Message
from bot.services.privacy import Privacy
from bot.storage import outbox, staff_events, transaction
from bot.storage.outbox import Kind, OutboxRow
from bot.storage.staff_events import NoticeKind

log = logging.getLogger(__name__)

WAKE_INTERVAL = 30.0
"""Seconds between looks at the outbox when nothing wakes the dispatcher (a due check-in goes out within
this plus the send time)."""


class SendError(Exception):
    """Base of the outcomes a `Sender` reports instead of a message id."""


class RateLimited(SendError):
    """Telegram answered 429: wait `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class Blocked(SendError):
    """Telegram answered 403: the user blocked the bot (or the bot is not in that group)."""


class Rejected(SendError):
    """Telegram refused the message for good (e.g. 400 chat not found)."""


class NotSent(SendError):
    """The request certainly did not reach Telegram (connection refused, 5xx): safe to retry."""


class Uncertain(SendError):
    """The request may have been delivered (a read timeout): do not resend blindly."""


class Sender(Protocol):
    """Sends one message (keeping to Telegram's limits) and returns its message id, or raises a SendError."""

    async def send(self, message: Message) -> int:
        """Send `message`."""
        ...

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": hold every send for `seconds`."""
        ...


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

    concurrency: int = 8
    batch: int = 30
    inline_retries: int = 3
    backoff: tuple[float, ...] = (0.5, 1.0, 2.0)
    later: timedelta = timedelta(minutes=2)
    max_attempts: int = 60


Lane = tuple[int, int]
"""A chat, and for a group the priority: (chat id, priority or 0)."""


def lane_of(row: OutboxRow) -> Lane:
    """Where a row queues. A person's messages share one lane, so they arrive in order; a group's (the staff
    chat's alerts, each on its own) get one lane per priority, so an emergency never waits behind a routine
    alert that is waiting for the group's minute to pass."""
    return (row.chat_id, int(row.priority) if row.chat_id < 0 else 0)


class Lanes:
    """Claimed rows by lane. One row per lane is in flight at a time (a chat's messages keep their order and
    Telegram's one-a-second per chat), and a free worker takes the most urgent row of any lane that is not
    busy, so a slow chat (the staff group at its limit) never holds the others up."""

    def __init__(self) -> None:
        self._lanes: dict[Lane, list[tuple[int, int, OutboxRow]]] = {}
        self._ready: list[tuple[int, int, Lane]] = []
        self._busy: set[Lane] = set()
        self._order = itertools.count()
        self._changed = asyncio.Event()
        self._closed = False
        self.waiting = 0

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing in flight."""
        return self.waiting == 0 and not self._busy

    def put(self, row: OutboxRow) -> None:
        """Queue a claimed row."""
        lane = lane_of(row)
        entry = (int(row.priority), next(self._order), row)
        heapq.heappush(self._lanes.setdefault(lane, []), entry)
        if lane not in self._busy:
            heapq.heappush(self._ready, (entry[0], entry[1], lane))
        self.waiting += 1
        self._changed.set()

    async def take(self) -> OutboxRow | None:
        """The most urgent row of a lane with nothing in flight; None once closed and empty."""
        while True:
            while self._ready:
                _, order, lane = heapq.heappop(self._ready)
                heap = self._lanes.get(lane)
                if lane in self._busy or not heap or heap[0][1] != order:
                    continue  # an entry a newer, more urgent row of that lane replaced
                row = heapq.heappop(heap)[2]
                self._busy.add(lane)
                self.waiting -= 1
                return row
            if self._closed and self.waiting == 0:
                return None
            self._changed.clear()
            await self._changed.wait()

    def done(self, row: OutboxRow) -> None:
        """The lane's row in flight is settled: its next row may go."""
        lane = lane_of(row)
        self._busy.discard(lane)
        heap = self._lanes.get(lane)
        if heap:
            heapq.heappush(self._ready, (heap[0][0], heap[0][1], lane))
        else:
            self._lanes.pop(lane, None)
        self._changed.set()

    def close(self) -> None:
        """No more rows: the workers end once the queued ones are settled."""
        self._closed = True
        self._changed.set()


@dataclass
class Dispatcher:
    """Claims due outbox rows and sends them politely: `serve` while the bot runs, `run_once` for one pass."""

    deps: Deps
    checkins: Checkins
    privacy: Privacy
    sender: Sender
    policy: DispatchPolicy = field(default_factory=DispatchPolicy)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _stopped: bool = field(default=False, init=False)
    """Set by `stop`: serving ends soon, claimed rows not attempted go back to pending."""
    _running: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _serving: bool = field(default=False, init=False)
    _more: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _caught_up: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _asked: int = field(default=0, init=False)
    """How many times `drain` asked; a round that finds nothing due answers the asks made before it began."""
    _answered: int = field(default=0, init=False)
    _recovered: bool = field(default=False, init=False)
    _unplannable: set[int] = field(default_factory=set, init=False)

    @property
    def busy(self) -> bool:
        """True while a pass (or serving) is running."""
        return self._running.locked()

    def keep_going(self) -> bool:
        """False once stopping."""
        return not self._stopped

    def stop(self) -> None:
        """Stop serving: it ends soon (claimed rows not attempted go back to pending)."""
        self._stopped = True
        self.wake()

    def judge(self, row: OutboxRow) -> Decision:
        """Claim-time verdict for a due row: send, defer past quiet hours, or skip."""
        if row.kind is not Kind.CHECKIN:
            return Decision(Verdict.SEND)
        if row.unreachable:
            return Decision(Verdict.SKIP, reason=SkipReason.UNREACHABLE)
        if row.muted:
            return Decision(Verdict.SKIP, reason=SkipReason.MUTED)
        return decide(
            self.deps.now(), row.expires_at, zone(row.timezone), self.deps.config.checkins.quiet_hours
        )

    def compose(self, row: OutboxRow) -> Message:
        """The message of a row: a check-in is composed now; the others were composed when queued."""
        if row.kind is Kind.CHECKIN:
            return self.checkins.compose(row)
        if row.payload is None:
            raise ValueError("message row without payload")
        return Message.from_json(row.chat_id, row.payload, row.priority)

    async def recover(self) -> list[int]:
        """Once at start-up: rows a crash left `sending` go back to pending."""
        ids = await self.deps.store.run(outbox.recover_interrupted, self.deps.now())
        self._recovered = True
        if ids:
            log.warning("re-queued %d message(s) interrupted while sending", len(ids))
        return ids

    async def plan_new(self) -> int:
        """Plan the check-ins of treatments enrolled since the last look."""
        return await self.deps.store.run(self.checkins.plan_new, self._unplannable)

    def wake(self) -> None:
        """Something was queued (or the clock moved): claim due rows now, the most urgent first."""
        self._more.set()

    async def serve(self) -> None:
        """Send due rows until stopped: at once, whenever woken, and every WAKE_INTERVAL seconds."""
        async with self._running:
            self._serving = True
            try:
                await self._loop(DispatchReport(), until_caught_up=False)
            finally:
                self._serving = False

    async def run_once(self) -> DispatchReport:
        """Send everything due now and return what was done (while serving: wait until it caught up)."""
        if self._serving:
            await self.drain()
            return DispatchReport()
        report = DispatchReport()
        if self._running.locked():
            return report
        async with self._running:
            await self._loop(report, until_caught_up=True)
        return report

    async def drain(self) -> None:
        """While serving: have it look now and wait until nothing due is left to send."""
        self._asked += 1
        wanted = self._asked
        self.wake()
        # A round that was already claiming when we asked saw the time before the ask: only a round begun
        # after it may say that nothing due is left.
        while self._answered < wanted and self._serving:
            self._caught_up.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._caught_up.wait(), 0.05)

    async def _loop(self, report: DispatchReport, until_caught_up: bool) -> None:
        if not self._recovered:
            await self.recover()
        lanes = Lanes()
        workers = [asyncio.create_task(self._worker(lanes, report)) for _ in range(self.policy.concurrency)]
        watermark = max(1, self.policy.batch // 2)
        try:
            while self.keep_going():
                self._more.clear()
                asked = self._asked
                await self.plan_new()  # on each round: a wake may come with a new enrollment
                rows = await self.deps.store.run(
                    outbox.claim_due, self.deps.now(), self.policy.batch, self.judge, tuple(Kind)
                )
                for row in rows:
                    lanes.put(row)
                if rows:
                    while lanes.waiting > watermark and not self._more.is_set() and self.keep_going():
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._more.wait(), 0.05)
                    continue
                if lanes.idle:
                    self._answered = max(self._answered, asked)
                    self._caught_up.set()
                    if until_caught_up:
                        break
                if not self._more.is_set():
                    # Until woken (a new message), or soon while rows are in flight, else the interval.
                    timeout = 0.05 if not lanes.idle else WAKE_INTERVAL
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._more.wait(), timeout)
        finally:
            lanes.close()
            await asyncio.gather(*workers)

    async def _worker(self, lanes: Lanes, report: DispatchReport) -> None:
        while (row := await lanes.take()) is not None:
            try:
                if self.keep_going():
                    await self._deliver(row, report)
                else:
                    await self.deps.store.run(outbox.release, row.id, self.deps.now())
            except Exception as exc:  # keep the worker alive; the row is re-queued at start-up
                log.error("dispatch failed for outbox row %d: %s", row.id, type(exc).__name__)
            finally:
                lanes.done(row)

    async def _deliver(self, row: OutboxRow, report: DispatchReport) -> None:
        store = self.deps.store
        try:
            message = self.compose(row)
        except Exception as exc:  # a bad row must not stop the others
            log.error("cannot compose outbox row %d: %s", row.id, type(exc).__name__)
            await store.run(outbox.mark_failed, row.id, f"compose:{type(exc).__name__}", self.deps.now())
            report.failed += 1
            return
        attempts = row.attempts + 1
        retries = 0
        while True:
            try:
                message_id = await self.sender.send(message)
            except RateLimited as exc:
                report.rate_limited += 1
                self.sender.pause(exc.retry_after)
                if not await self._again(row, attempts, "429", timedelta(seconds=exc.retry_after), report):
                    return
            except Blocked:
                await store.run(self._blocked, row)
                report.blocked += 1
                return
            except Rejected as exc:
                await store.run(outbox.mark_failed, row.id, f"rejected:{exc}"[:200], self.deps.now())
                report.failed += 1
                return
            except Uncertain as exc:
                await store.run(self._uncertain, row, f"uncertain:{exc}"[:200])
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
                await store.run(self._uncertain, row, type(exc).__name__)
                report.uncertain += 1
                return
            else:
                await store.run(self._sent, row, message_id)
                report.sent += 1
                return
            attempts += 1

    def _sent(self, db: Database, row: OutboxRow, message_id: int) -> None:
        """Recorded as sent. A plain message that no staff reply refers to is not needed any more: gone."""
        if row.kind is Kind.MESSAGE and row.about_chat_id is None:
            outbox.delete_sent(db, row.id)
            return
        outbox.mark_sent(db, row.id, message_id, self.deps.now())

    def _uncertain(self, db: Database, row: OutboxRow, error: str) -> None:
        with transaction(db):
            outbox.mark_uncertain(db, row.id, error, self.deps.now())
            staff_events.record(
                db, NoticeKind.UNCERTAIN, outbox.key("uncertain", row.id), self.deps.now(),
                patient_id=row.patient_id, outbox_id=row.id,
            )  # fmt: skip

    def _blocked(self, db: Database, row: OutboxRow) -> None:
        """403: refused for good. The patient is unreachable only when their own chat refused (a 403 from the
        staff group says nothing about them)."""
        with transaction(db):
            outbox.mark_failed(db, row.id, "blocked", self.deps.now())
            if row.patient_id is not None and row.about_chat_id is None and row.chat_id > 0:
                self.privacy.refused(db, row.chat_id, row.patient_id, row.id)

    async def _again(
        self, row: OutboxRow, attempts: int, error: str, wait: timedelta, report: DispatchReport
    ) -> bool:
        """Whether to retry inside this pass (else the row is closed or put back for later)."""
        store = self.deps.store
        if attempts >= self.policy.max_attempts:
            await store.run(outbox.mark_failed, row.id, f"gave_up:{error}", self.deps.now())
            report.failed += 1
            return False
        if row.expires_at is not None and self.deps.now() + wait >= row.expires_at:
            await store.run(outbox.mark_skipped, row.id, SkipReason.EXPIRED, self.deps.now())
            report.skipped += 1
            return False
        await store.run(outbox.count_attempt, row.id, self.deps.now())
        report.retried += 1
        return True

    async def _later(self, row: OutboxRow, attempts: int, error: str, report: DispatchReport) -> None:
        store = self.deps.store
        if attempts >= self.policy.max_attempts:
            await store.run(outbox.mark_failed, row.id, f"gave_up:{error}", self.deps.now())
            report.failed += 1
            return
        now = self.deps.now()
        await store.run(outbox.retry_later, row.id, now + self.policy.later, error, now)
        report.retried += 1
