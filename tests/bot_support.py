"""A running aftercare bot (the real Application) against the fake Bot API, with a clock the test controls."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram.ext import ContextTypes

from bot.config import Config
from bot.core.answer import Clinic, Engine
from bot.services import Services
from bot.services.dispatch import Dispatcher
from bot.services.knowledge import Knowledge
from bot.services.views import Invitation
from bot.storage import Store, outbox
from bot.storage.outbox import Kind
from bot.telegram import logsafe
from bot.telegram.app import Bot as BuiltBot
from bot.telegram.app import build, serve
from bot.telegram.ratelimit import RateLimiter
from tests.conftest import KNOWLEDGE, FakeClock
from tests.fakebotapi import Call, FakeBotAPI

CLINIC = Clinic(name="Glow Clinic", phone="+44 20 7946 0000", emergency_number="999")


def make_config(server: FakeBotAPI, db_path: Path, **changes: Any) -> Config:
    """A configuration pointing at the fake server."""
    config = Config.defaults(
        token=server.token,
        api_url=server.base_url,
        db_path=db_path,
        clinic_name=CLINIC.name,
        clinic_phone=CLINIC.phone,
        emergency_number=CLINIC.emergency_number,
        bot_username=server.bot_username,
        link_secret="test-secret-for-links",
    )
    return replace(config, **changes)


def quick_limiter() -> RateLimiter:
    """Loose limits for quick conversations (the limits themselves are tested with the real limiter)."""
    return RateLimiter(overall=500, margin=0.02, per_chat_interval=0.05, chat_margin=0.0)


@dataclass
class Bot:
    """A started bot, its services, its recorded errors and the fake server."""

    server: FakeBotAPI
    built: BuiltBot
    clock: FakeClock
    errors: list[BaseException] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @property
    def app(self) -> Any:
        return self.built.application

    @property
    def services(self) -> Services:
        return self.built.services

    @property
    def dispatcher(self) -> Dispatcher:
        return self.built.dispatcher

    @property
    def store(self) -> Store:
        return self.services.deps.store

    def invite(
        self, days_ago: int, name: str | None = None, procedure: str = "microneedling", **choices: Any
    ) -> Invitation:
        """A fresh enrollment link for a treatment `days_ago` days before the clock's today."""
        treated_on = self.clock.today() - timedelta(days=days_ago)
        return self.store.call(
            self.services.enrollment.create_invite,
            self.server.bot_username,
            procedure,
            treated_on,
            "UTC",
            name,
            None,
            choices.get("variant"),
            choices.get("holds"),
        )

    async def replies(self, chat_id: int, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait for `count` messages to `chat_id` (in total) and for the updates to be handled."""
        sent = await self.server.wait_for_messages_async(chat_id, count, timeout)
        await self.settled(timeout, outbox=False)
        return sent

    async def settled(self, timeout: float = 5.0, outbox: bool = True) -> None:
        """Wait until no update is queued or being handled and (with `outbox`) no message due now is waiting
        to be sent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (
            self.app.update_queue.qsize()
            or self.app.update_processor.current_concurrent_updates
            or (outbox and await self.store.run(_unsent, self.clock()))
        ):
            if loop.time() > deadline:
                raise TimeoutError("updates or messages still being handled")
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

    async def dispatch(self) -> None:
        """Have the sender look at the outbox now (what its 30-second wake-up does) and catch up."""
        await self.dispatcher.run_once()

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Run a query on the bot's database thread."""
        return self.store.call(lambda db: db.execute(sql, params).fetchall())


def _unsent(db: Any, now: Any) -> int:
    """Messages (not check-ins) due now and not sent yet, or being sent."""
    sending = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'sending'").fetchone()[0]
    return int(sending) + sum(outbox.due_count(db, now, kind) for kind in (Kind.MESSAGE, Kind.ALERT))


async def start_bot(
    server: FakeBotAPI,
    engine: Engine,
    db_path: Path,
    clock: FakeClock | None = None,
    knowledge_dir: Path = KNOWLEDGE,
    limiter: RateLimiter | None = None,
    **config_changes: Any,
) -> Bot:
    """Build and start the real bot (long polling against the fake), as `aftercare run` does."""
    clock = clock or FakeClock()
    config = make_config(server, db_path, knowledge_dir=knowledge_dir, **config_changes)
    logsafe.install([config.token])
    store = Store.open(db_path, create=True)
    knowledge = Knowledge(knowledge_dir, engine.clinic, engine)
    services = Services.create(store, knowledge, config, b"test-secret-for-links", clock)
    built = build(config, services, limiter or quick_limiter())
    bot = Bot(server, built, clock)

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        bot.errors.append(context.error)

    built.application.add_error_handler(record)
    bot.task = asyncio.create_task(serve(built, bot.stop, poll_timeout=1))
    while not built.application.running:
        if bot.task.done():
            store.close()
            bot.task.result()  # the start-up failure, as `aftercare run` would meet it
        await asyncio.sleep(0.005)
    return bot


async def stop_bot(bot: Bot) -> None:
    """Stop as SIGTERM does (queued updates handled, the sender stopped), then close the database."""
    bot.stop.set()
    assert bot.task is not None
    await bot.task
    bot.store.close()
