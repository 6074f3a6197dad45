"""A staff alert raised while a long check-in pass is running goes out at once, not after the backlog: the
real Application over HTTP against the fake Bot API, with the default (Telegram-sized) rate limiter."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from bot.services.knowledge import load_engine
from bot.storage import Store
from bot.telegram.ratelimit import RateLimiter
from tests.bot_support import CLINIC, FakeClock, start_bot, stop_bot
from tests.checkin_support import add_patient
from tests.fakebotapi import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
STAFF_CHAT = -100500
STAFF = 900
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BACKLOG = 200


async def test_an_alert_overtakes_a_backlog_of_due_checkins(server: FakeBotAPI, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    db = tmp_path / "bot.db"
    store = Store.open(db, create=True)
    for chat in range(20_000, 20_000 + BACKLOG):  # treated yesterday: today's check-in is due at 10:00
        add_patient(store, chat, date(2026, 11, 22), timezone="UTC")
    store.close()
    bot = await start_bot(
        server,
        load_engine(knowledge, CLINIC),
        db,
        FakeClock(MONDAY_NOON),
        knowledge_dir=knowledge,
        limiter=RateLimiter(),
        staff_chat_id=STAFF_CHAT,
        staff_ids=frozenset({STAFF}),
    )
    try:

        def checkins() -> list[float]:
            return [c.time for c in server.calls("sendMessage") if c.ok and "ci:" in str(c.reply_markup)]

        while len(checkins()) < 20:  # the start-up pass is under way
            await bot.quiet(0.02)
        raised = server.push_text(555, "my throat is closing up")
        assert raised
        [alert] = await server.wait_for_messages_async(STAFF_CHAT, 1, timeout=20.0)
        before = [t for t in checkins() if t < alert.time]
        assert len(before) < 100, f"the alert waited for {len(before)} check-ins"
        while len(checkins()) < BACKLOG:  # and the backlog still goes out in full
            await bot.quiet(0.05)
        assert len(checkins()) == BACKLOG
        assert alert.time < max(checkins()) - 2.0
    finally:
        await stop_bot(bot)
    assert bot.errors == []
