"""A running aftercare bot (the real Application) against the fake Bot API, with a clock the test controls."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application, ContextTypes

from bot import logsafe
from bot.bootstrap import open_services
from bot.config import Config
from bot.core.answer import Clinic, Engine
from bot.services import Services
from bot.services.views import Invitation
from bot.storage import Store
from bot.telegram.app import build_application, on_startup
from tests.fakebotapi import Call, FakeBotAPI

CLINIC = Clinic(name="Glow Clinic", phone="+44 20 7946 0000", emergency_number="999")
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """A clock that stands still until the test moves it."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)

    def today(self) -> date:
        """Today in UTC."""
        return self.now.date()


def make_config(server: FakeBotAPI, db_path: Path, **changes: Any) -> Config:
    """A configuration pointing at the fake server."""
    config = Config(
        token=server.token,
        api_url=server.base_url,
        db_path=db_path,
        clinic=CLINIC,
        bot_username=server.bot_username,
        link_secret="test-secret-for-links",
    )
    return replace(config, **changes)


@dataclass
class Bot:
    """A started Application, its services, its recorded errors and the fake server."""

    server: FakeBotAPI
    app: Application  # type: ignore[type-arg]
    services: Services
    clock: FakeClock
    errors: list[BaseException] = field(default_factory=list)

    @property
    def store(self) -> Store:
        return self.services.deps.store

    def invite(self, days_ago: int, name: str | None = None, procedure: str = "microneedling") -> Invitation:
        """A fresh enrollment link for a treatment `days_ago` days before the clock's today."""
        treated_on = self.clock.today() - timedelta(days=days_ago)
        return self.store.call(
            self.services.enrollment.create_invite,
            self.server.bot_username,
            procedure,
            treated_on,
            "UTC",
            name,
        )

    async def replies(self, chat_id: int, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait for `count` messages to `chat_id` (in total) and for the handlers to finish; return them."""
        sent = await self.server.wait_for_messages_async(chat_id, count, timeout)
        await self.settled()
        return sent

    async def settled(self, timeout: float = 5.0) -> None:
        """Wait until no update is queued or being handled (work after a reply, e.g. the question log)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.app.update_queue.qsize() or self.app.update_processor.current_concurrent_updates:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("updates still being handled")
            await asyncio.sleep(0.002)

    async def say(self, chat_id: int, text: str, expect: int = 1, **kwargs: Any) -> list[Call]:
        """Send `text` from `chat_id` and return the `expect` new replies."""
        before = len(self.server.sent_messages(chat_id))
        self.server.push_text(chat_id, text, **kwargs)
        sent = await self.replies(chat_id, before + expect)
        return sent[before:]

    async def quiet(self, seconds: float = 0.3) -> None:
        """Let pending updates be processed."""
        await asyncio.sleep(seconds)

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Run a query on the bot's database thread."""
        return self.store.call(lambda db: db.execute(sql, params).fetchall())


async def start_bot(
    server: FakeBotAPI,
    engine: Engine,
    db_path: Path,
    clock: FakeClock | None = None,
    features: tuple[str, ...] = (),
    **config_changes: Any,
) -> Bot:
    """Build and start the real Application (long polling against the fake)."""
    clock = clock or FakeClock()
    config = make_config(server, db_path, **config_changes)
    logsafe.install([config.token])
    store = Store.open(db_path)
    services = open_services(config, store, engine, clock)
    app = build_application(config, services, features=features)
    bot = Bot(server, app, services, clock)

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        bot.errors.append(context.error)

    app.add_error_handler(record)
    await app.initialize()
    await on_startup(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    return bot


async def stop_bot(bot: Bot) -> None:
    """Stop polling and the Application, then close the database."""
    assert bot.app.updater is not None
    await bot.app.updater.stop()
    await bot.app.stop()
    await bot.app.shutdown()
    bot.store.close()
