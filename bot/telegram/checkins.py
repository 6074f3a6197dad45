"""Check-ins on Telegram: the PTB sender, the JobQueue wake-up and the handler of the answer buttons.

`register(application, context)` is the only hook-up: it needs `context.store` and `context.engine`
(and uses `context.clock` when present).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from telegram import Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.checkin_answers import PREFIX, CheckinAnswers, Reply
from bot.core.answer import Engine
from bot.core.checkins import CheckinSettings
from bot.ratelimit import RateLimiter
from bot.scheduler import (
    Blocked,
    Dispatcher,
    NotSent,
    OutgoingMessage,
    RateLimited,
    Rejected,
    Uncertain,
    skip_overdue_checkins,
)
from bot.services.base import system_clock
from bot.storage import Store
from bot.telegram.render import keyboard

log = logging.getLogger(__name__)

WAKE_INTERVAL = 30.0
"""Seconds between dispatcher wake-ups (a due check-in goes out within this plus the send time)."""
DISPATCHER_KEY = "checkin_dispatcher"
UNMUTE_GROUP = -40
"""A handler group of its own: in a group only the first matching handler runs."""
ANSWERS_KEY = "checkin_answers"

_NOT_SENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class CheckinContext(Protocol):
    """What `register` needs from the application's wiring."""

    @property
    def store(self) -> Store: ...

    @property
    def engine(self) -> Engine: ...


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends outbox messages with a PTB bot and maps its errors onto the dispatcher's outcomes."""

    def __init__(self, bot: Any) -> None:
        self.bot = bot

    async def send(self, message: OutgoingMessage) -> int:
        """Send one message; return its Telegram message id."""
        try:
            sent = await self.bot.send_message(
                message.chat_id, message.text, reply_markup=keyboard(message.buttons)
            )
        except RetryAfter as exc:
            raise RateLimited(_seconds(exc.retry_after)) from exc
        except Forbidden as exc:
            raise Blocked(str(exc)) from exc
        except (BadRequest, ChatMigrated) as exc:
            raise Rejected(type(exc).__name__) from exc
        except TimedOut as exc:
            if isinstance(exc.__cause__, _NOT_SENT_CAUSES):
                raise NotSent(type(exc.__cause__).__name__) from exc
            raise Uncertain("timed out") from exc
        except NetworkError as exc:
            cause = exc.__cause__
            # No cause: Telegram answered with an error status (5xx), so nothing was delivered.
            if cause is None or isinstance(cause, _NOT_SENT_CAUSES):
                raise NotSent(type(cause).__name__ if cause else "server error") from exc
            raise Uncertain(type(cause).__name__) from exc
        return int(sent.message_id)


def build_dispatcher(
    application: Application[Any, Any, Any, Any, Any, Any],
    context: CheckinContext,
    settings: CheckinSettings | None = None,
    clock: Callable[[], datetime] | None = None,
    limiter: RateLimiter | None = None,
) -> Dispatcher:
    """The dispatcher for this application (sends with `application.bot`)."""
    return Dispatcher(
        keep_going=lambda: application.running,
        store=context.store,
        kb=context.engine.kb,
        sender=TelegramSender(application.bot),
        settings=settings or _configured_settings(context),
        clock=clock or getattr(context, "clock", None) or system_clock,
        limiter=limiter or RateLimiter(),
        values=context.engine.clinic.values(),
    )


def _configured_settings(context: CheckinContext) -> CheckinSettings:
    """The check-in time and quiet hours from the bot's configuration (defaults for a bare context)."""
    config = getattr(context, "config", None)
    settings = getattr(config, "checkins", None)
    return settings if isinstance(settings, CheckinSettings) else CheckinSettings()


def register(
    application: Application[Any, Any, Any, Any, Any, Any],
    context: CheckinContext,
    *,
    settings: CheckinSettings | None = None,
    clock: Callable[[], datetime] | None = None,
    limiter: RateLimiter | None = None,
    interval: float = WAKE_INTERVAL,
) -> Dispatcher:
    """Add the check-in button handler and the repeating job that wakes the dispatcher."""
    dispatcher = build_dispatcher(application, context, settings, clock, limiter)
    answers = CheckinAnswers(context.store, context.engine.kb, context.engine.clinic.values())
    application.bot_data[DISPATCHER_KEY] = dispatcher
    application.bot_data[ANSWERS_KEY] = answers
    application.add_handler(CallbackQueryHandler(_on_press, pattern=f"^{PREFIX}"))
    # Before the patient handlers' /unmute (and before update de-duplication, harmless as it is idempotent):
    # check-ins whose time passed while muted are skipped, so /unmute resumes only future ones.
    application.add_handler(CommandHandler("unmute", _before_unmute), group=UNMUTE_GROUP)
    if application.job_queue is None:
        raise RuntimeError("check-ins need PTB's job queue (python-telegram-bot[job-queue])")
    schedule_wakeups(application.job_queue, interval, "checkin-dispatcher")
    return dispatcher


def schedule_wakeups(job_queue: Any, interval: float, name: str) -> None:
    """A dispatch pass as soon as the application starts, then every `interval` seconds.

    The start-up pass is a job of its own: a repeating job added before the job queue starts has its first
    run moved to the next multiple of `interval` after the start, so rows due during a downtime would wait
    that long. A slow start-up must not make the scheduler drop it as "missed" either."""
    kwargs = {"misfire_grace_time": None, "coalesce": True}
    job_queue.run_once(_wake, when=0.0, name=f"{name}-start", job_kwargs=kwargs)
    job_queue.run_repeating(_wake, interval=interval, first=interval, name=name, job_kwargs=kwargs)


async def _wake(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a dispatch pass in the background, or have the running one look again (returns at once)."""
    dispatcher: Dispatcher = context.application.bot_data[DISPATCHER_KEY]
    if dispatcher.wake():
        context.application.create_task(dispatcher.run_once(), name="checkin-dispatch")


async def _before_unmute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is None:
        return
    dispatcher: Dispatcher = context.application.bot_data[DISPATCHER_KEY]
    await skip_overdue_checkins(dispatcher.store, update.effective_chat.id, dispatcher.clock())


async def _on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_chat is None:
        return
    answers: CheckinAnswers = context.application.bot_data[ANSWERS_KEY]
    dispatcher: Dispatcher = context.application.bot_data[DISPATCHER_KEY]
    reply = await answers.press(update.effective_chat.id, query.data, dispatcher.clock())
    # A press handled late (the bot was down) has an expired query: the reply must still go out.
    with contextlib.suppress(BadRequest):
        await query.answer(reply.toast)
    await _show(update, context, reply)


async def _show(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    if reply.close_keyboard and query.message is not None:
        with contextlib.suppress(BadRequest):  # already closed ("message is not modified")
            await context.bot.edit_message_reply_markup(chat.id, query.message.message_id, reply_markup=None)
    if reply.text:
        await context.bot.send_message(chat.id, reply.text, reply_markup=keyboard(reply.buttons))
