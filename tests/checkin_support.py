"""Helpers shared by the check-in tests: a controllable clock, patients in a store, a dispatcher on a real
PTB bot talking HTTP to the fake Bot API server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.core.answer import Clinic, Engine
from bot.core.checkins import CheckinSettings
from bot.knowledge_source import load_engine
from bot.ratelimit import RateLimiter
from bot.scheduler import Dispatcher, DispatchPolicy
from bot.storage import Database, Store, outbox
from bot.telegram.checkins import TelegramSender

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


@cache
def shipped_engine() -> Engine:
    """The engine over the shipped knowledge base."""
    return load_engine(
        KNOWLEDGE, Clinic(name="Glow Clinic", phone="+44 20 7946 0000", emergency_number="999")
    )


@dataclass
class FakeClock:
    """A clock tests move by hand (always UTC-aware)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        """Jump to `moment`."""
        self.now = moment.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        """Move forward by `timedelta(**delta)`."""
        self.now += timedelta(**delta)


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

    def insert(db: object) -> tuple[int, int]:
        conn = store.db.conn
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
    found = store.call(
        lambda db: db.conn.execute(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'"
        ).fetchone()
    )
    return outbox.parse_iso(found[0]) if found and found[0] else None


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
    bot: Bot,
    clock: FakeClock,
    settings: CheckinSettings | None = None,
    limiter: RateLimiter | None = None,
    policy: DispatchPolicy | None = None,
) -> Dispatcher:
    """A dispatcher over the shipped knowledge base that sends with `bot`."""
    engine = shipped_engine()
    return Dispatcher(
        store=store,
        kb=engine.kb,
        sender=TelegramSender(bot),
        settings=settings or CheckinSettings(),
        clock=clock,
        limiter=limiter or fast_limiter(),
        policy=policy or DispatchPolicy(backoff=(0.05, 0.1, 0.2)),
        values=engine.clinic.values(),
    )
