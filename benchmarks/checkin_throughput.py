"""Check-in dispatch throughput against a fake Bot API that enforces Telegram's flood limits.

Run: `python benchmarks/checkin_throughput.py [COUNT]` (default 10,000 due check-ins; about six minutes).
The fake server answers 429 whenever more than 30 messages arrive within a second overall or more than one
within a second for a chat. One check-in in ten goes to a chat that gets two, so the per-chat limit is
exercised too. Prints messages per second and the 429 count. Target: >= 23 messages/s (the limiter keeps
30 in any 1.25 s), zero 429s.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from telegram import Bot
from telegram.request import HTTPXRequest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Config  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.services.knowledge import Knowledge, load_engine  # noqa: E402
from bot.storage import Store, outbox  # noqa: E402
from bot.storage.outbox import Kind, NewRow  # noqa: E402
from bot.telegram.ratelimit import RateLimiter  # noqa: E402
from bot.telegram.sender import TelegramSender  # noqa: E402
from tests.fakebotapi import FakeBotAPI  # noqa: E402

NOW = datetime(2026, 6, 4, 9, 1, tzinfo=UTC)
FIRST_CHAT = 1_000_000


def seed(store: Store, count: int) -> None:
    """`count` due check-ins; every tenth chat gets a second one (day 1 and day 3 both still useful)."""
    chats = count - count // 20

    def fill(db: object) -> None:
        conn = store.db.conn
        conn.execute("BEGIN")
        for i in range(chats):
            patient = conn.execute(
                "INSERT INTO patients (chat_id, timezone, created_at) VALUES (?, 'UTC', ?)",
                (FIRST_CHAT + i, "2026-06-01T12:00:00+00:00"),
            ).lastrowid
            conn.execute(
                "INSERT INTO treatments (patient_id, procedure, treated_on, created_at) VALUES (?, ?, ?, ?)",
                (patient, "microneedling", date(2026, 6, 1).isoformat(), "2026-06-01T12:00:00+00:00"),
            )
        conn.execute("COMMIT")

    store.call(fill)
    rows = []
    for i in range(count):
        chat = i if i < chats else (i - chats) * 10
        day = 3 if i < chats else 1
        rows.append(
            NewRow(
                kind=Kind.CHECKIN,
                dedupe_key=f"bench:{i}",
                chat_id=FIRST_CHAT + chat,
                due_at=NOW - timedelta(minutes=1),
                expires_at=NOW + timedelta(hours=23),
                treatment_id=chat + 1,
                patient_id=chat + 1,
                step_day=day,
            )
        )
    store.call(outbox.insert_rows, rows, NOW)


def per_chat_429(server: FakeBotAPI) -> int:
    """How many 429s came from the per-chat limit (an accepted send to the chat less than 1 s before)."""
    calls = server.calls("sendMessage")
    return sum(
        1
        for refused in calls
        if refused.status == 429
        and any(c.ok and c.chat_id == refused.chat_id and 0 <= refused.time - c.time < 1 for c in calls)
    )


async def run(count: int) -> None:
    engine = load_engine(ROOT / "knowledge")
    with tempfile.TemporaryDirectory() as folder, FakeBotAPI() as server:
        store = Store.open(Path(folder) / "bench.db", create=True)
        seed(store, count)
        server.enforce_limits(overall_per_second=30, per_chat_per_second=1)
        request = HTTPXRequest(connection_pool_size=32)
        async with Bot(server.token, base_url=server.base_url, request=request) as bot:
            config = Config.defaults(quiet_hours=None)
            knowledge = Knowledge(ROOT / "knowledge", engine.clinic, engine)
            services = Services.create(store, knowledge, config, b"bench", lambda: NOW)
            dispatcher = services.dispatcher(TelegramSender(bot, RateLimiter()))
            started = time.perf_counter()
            report = await dispatcher.run_once()
            elapsed = time.perf_counter() - started
        states = store.call(outbox.state_counts)
        store.close()
        delivered = sum(1 for c in server.calls("sendMessage") if c.ok)
        print(f"check-ins due:        {count}")
        print(f"delivered:            {delivered} (outbox: {states})")
        print(f"elapsed:              {elapsed:.1f} s")
        print(f"messages per second:  {delivered / elapsed:.2f}  (target >= 23)")
        print(
            f"429 answers:          {server.too_many_requests}  (target 0; {per_chat_429(server)} per-chat)"
        )
        print(f"dispatcher report:    {report}")


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
