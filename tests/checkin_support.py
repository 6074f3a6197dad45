"""Helpers shared by the check-in tests: patients in a store, planning, a dispatcher on a real PTB bot talking
HTTP to the fake Bot API server."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from sqlite_utils import Database
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.core.answer import Engine
from bot.core.checkins import CheckinSettings
from bot.services import Services
from bot.services.dispatch import Dispatcher, DispatchPolicy
from bot.services.knowledge import load_engine
from bot.storage import Store, outbox
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.sender import TelegramSender
from tests.conftest import KNOWLEDGE, TEST_CLINIC, FakeClock, make_services

__all__ = ["FakeClock"]


@cache
def shipped_engine() -> Engine:
    """The engine over the shipped knowledge base."""
    return load_engine(KNOWLEDGE, TEST_CLINIC)


def add_patient(
    store: Store,
    chat_id: int,
    treated_on: date,
    timezone: str = "Europe/London",
    procedure: str = "microneedling",
    muted: bool = False,
    created_at: datetime | None = None,
) -> tuple[int, int]:
    """Insert a patient and a treatment directly; return (patient_id, treatment_id)."""

    stamp = (created_at or datetime(2026, 1, 1, tzinfo=UTC)).astimezone(UTC).isoformat(timespec="seconds")

    def insert(db: Database) -> tuple[int, int]:
        conn = db.conn
        cur = conn.execute(
            "INSERT INTO patients (chat_id, user_id, name, timezone, muted, unreachable, created_at) "
            "VALUES (?, ?, ?, ?, ?, 0, ?)",
            (chat_id, chat_id, "Pat", timezone, int(muted), stamp),
        )
        patient_id = int(cur.lastrowid or 0)
        cur = conn.execute(
            "INSERT INTO treatments (patient_id, procedure, treated_on, created_at) VALUES (?, ?, ?, ?)",
            (patient_id, procedure, treated_on.isoformat(), stamp),
        )
        return patient_id, int(cur.lastrowid or 0)

    return store.call(insert)


def services_for(store: Store, clock: FakeClock, settings: CheckinSettings | None = None) -> Services:
    """The use cases over `store` with the check-in settings (defaults when None)."""
    found = settings or CheckinSettings()
    return make_services(
        store, shipped_engine(), clock, checkin_time=found.checkin_time, quiet_hours=found.quiet_hours
    )


async def plan_checkins(
    store: Store, treatment_id: int, now: datetime, settings: CheckinSettings | None = None
) -> int:
    """Plan a treatment's check-ins as of `now` (what the dispatcher does for a new enrollment)."""
    services = services_for(store, FakeClock(now), settings)
    return await store.run(services.checkins.plan_treatment, treatment_id, now)


def rows_for_treatment(store: Store, treatment_id: int) -> list[outbox.OutboxRow]:
    """Every outbox row of a treatment, by due time."""

    def load(db: Database) -> list[outbox.OutboxRow]:
        ids = db.conn.execute(
            "SELECT id FROM outbox WHERE treatment_id = ? ORDER BY due_at, id", (treatment_id,)
        ).fetchall()
        return [row for (i,) in ids if (row := outbox.get(db, i)) is not None]

    return store.call(load)


def next_due(store: Store) -> datetime | None:
    """The earliest next attempt time of a pending row."""
    return store.call(outbox.next_due)


def fast_limiter(per_chat_interval: float = 1.0) -> RateLimiter:
    """A limiter loose enough for quick tests (by default the 1-per-second per chat rule still holds)."""
    return RateLimiter(overall=500, per_chat_interval=per_chat_interval, margin=0.02)


def make_bot(base_url: str, token: str, read_timeout: float = 5.0) -> Bot:
    """A real PTB bot pointed at the fake server."""
    return Bot(
        token, base_url=base_url, request=HTTPXRequest(connection_pool_size=32, read_timeout=read_timeout)
    )


def make_dispatcher(
    store: Store,
    bot: Any,
    clock: FakeClock,
    settings: CheckinSettings | None = None,
    limiter: RateLimiter | None = None,
    policy: DispatchPolicy | None = None,
) -> Dispatcher:
    """A dispatcher over the shipped knowledge base that sends with `bot`."""
    services = services_for(store, clock, settings)
    sender = TelegramSender(bot, limiter or fast_limiter())
    return services.dispatcher(sender, policy or DispatchPolicy(backoff=(0.05, 0.1, 0.2)))


def local_time(day: date, at: time, tz: Any) -> datetime:
    """`at` on `day` in zone `tz`, as UTC."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
