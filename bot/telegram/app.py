"""The one place where the Telegram Application is built and run.

Extension point: a feature module (e.g. check-ins) defines `register(application, ctx: BotContext) -> None`
and is listed in `FEATURE_MODULES`. It is registered after the patient handlers and before the catch-all
fallbacks, so its handlers in group 0 see everything the patient handlers do not take (callback data
prefixes in use: see `render.OWN_PREFIXES`).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import timedelta

from telegram import Update
from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.config import Config
from bot.services import Services
from bot.telegram.context import BotContext
from bot.telegram.handlers import PatientHandlers
from bot.telegram.messenger import TelegramMessenger
from bot.telegram.render import Renderer
from bot.telegram.updates import PerChatProcessor, claimer

log = logging.getLogger("aftercare")

# ---------------------------------------------------------------------------------------------------------
# FEATURE MODULES: each has `register(application, ctx)`. The check-in scheduler adds "bot.telegram.checkins".
FEATURE_MODULES: tuple[str, ...] = ("bot.telegram.checkins", "bot.telegram.staff", "bot.telegram.knowledge")
# ---------------------------------------------------------------------------------------------------------

CTX_KEY = "aftercare"
CLAIM_GROUP = -2  # the update-id claimer runs first; group -1 is free for features that must see updates
# before the patient handlers (the staff handoff takes a patient's messages while a person answers them)
MAX_CONCURRENT_UPDATES = 8
# httpcore scans every pooled connection (with syscalls) on each request: a small pool is much faster than
# PTB's default of 256 under load, and plenty for one bot's traffic.
CONNECTIONS = 8
POOL_TIMEOUT = 10.0
SWITCH_INTERVAL = 0.0005
PURGE_EVERY = timedelta(days=1)


def file_url(api_url: str) -> str:
    """The file download base for a Bot API base URL (".../bot" -> ".../file/bot")."""
    return api_url[: -len("/bot")] + "/file/bot" if api_url.endswith("/bot") else api_url


def context_of(application: Application) -> BotContext:  # type: ignore[type-arg]
    """The BotContext of a built Application."""
    ctx = application.bot_data[CTX_KEY]
    assert isinstance(ctx, BotContext)
    return ctx


def build_application(
    config: Config, services: Services, *, features: Sequence[str] = FEATURE_MODULES
) -> Application:  # type: ignore[type-arg]
    """The Application with every handler, feature module, fallback and the error handler registered."""
    application = (
        Application.builder()
        .token(config.token)
        .base_url(config.api_url)
        .base_file_url(file_url(config.api_url))
        .concurrent_updates(PerChatProcessor(MAX_CONCURRENT_UPDATES))
        .connection_pool_size(CONNECTIONS)
        .pool_timeout(POOL_TIMEOUT)
        .post_init(on_startup)
        .build()
    )
    renderer = Renderer(
        services.deps.engine.kb,
        config.clinic,
        services.deps.settings.question_retention_days,
        config.clinic_hours.text,
        services.deps.settings.patient_retention_days,
    )
    messenger = TelegramMessenger(application.bot, on_blocked=services.privacy.mark_unreachable)
    ctx = BotContext(config, services, renderer, messenger, commands=renderer.commands())
    application.bot_data[CTX_KEY] = ctx

    application.add_handler(TypeHandler(Update, claimer(services.privacy)), group=CLAIM_GROUP)
    patient = PatientHandlers(ctx)
    patient.register(application)
    for name in features:
        importlib.import_module(name).register(application, ctx)
    patient.register_fallbacks(application)
    application.add_error_handler(on_error)
    if application.job_queue is not None:
        application.job_queue.run_repeating(purge_job, interval=PURGE_EVERY, first=PURGE_EVERY)
    return application


async def on_startup(application: Application) -> None:  # type: ignore[type-arg]
    """Register the command menu, remember the bot's username, say that the bot is ready."""
    ctx = context_of(application)
    await application.bot.set_my_commands(ctx.commands)
    username = application.bot.username
    await ctx.services.enrollment.remember_bot_username(username)
    log.info(
        "aftercare bot @%s ready: %d procedure(s), database %s",
        username,
        len(ctx.engine.procedures),
        ctx.config.db_path,
    )


async def purge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Daily retention purge (question texts, expired invites, old update ids)."""
    ctx = context_of(context.application)
    done = await ctx.store.run(ctx.services.privacy.purge)
    log.info("retention purge: %s", ", ".join(f"{k}={v}" for k, v in done.items()))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (no message text, no token) and give the patient the polite fallback."""
    error = context.error
    if update is None and isinstance(error, NetworkError):
        log.warning("network problem while polling: %s", type(error).__name__)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    ctx = context_of(context.application)
    chat = update.effective_chat if isinstance(update, Update) else None
    # A 403 may come from any chat the handler wrote to (the staff group, say), not only the patient's: it
    # marks nobody unreachable here. Only a send to a known chat does (the fallback below, the messenger).
    if isinstance(error, Forbidden):
        log.warning("update %s: Telegram refused a message (Forbidden)", update_id)
    else:
        log.error("error while handling update %s: %s", update_id, type(error).__name__, exc_info=error)
    if chat is None or chat.type != "private":
        return
    try:
        await context.bot.send_message(chat.id, ctx.renderer.fallback())
    except Forbidden:
        log.warning("update %s: the patient blocked the bot; marked unreachable", update_id)
        await ctx.services.privacy.mark_unreachable(chat.id)
    except TelegramError:
        log.warning("could not send the fallback reply either")


class _NoTracebackForNetwork(logging.Filter):
    """A refused token or an unreachable Bot API is the operator's to fix, not a bug: PTB's log line about
    it stays, its 50-line traceback goes (the error is reported once, in one line, by `run`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], InvalidToken | NetworkError):
            record.exc_info, record.exc_text = None, None
        return True


PTB_LOGGERS = ("telegram.ext", "telegram.ext.Application", "telegram.ext.Updater", "telegram.Bot")


class StartFailed(Exception):
    """The bot could not start (token refused, Bot API unreachable): one line for the operator, no token."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def run(config: Config, services: Services) -> None:
    """Long polling until SIGINT/SIGTERM; returns after a clean stop, StartFailed when it cannot start."""
    # The database thread hands results back to the event loop: a short switch interval keeps that quick
    # when the loop is busy (Python's default is 5 ms per hand-over).
    sys.setswitchinterval(SWITCH_INTERVAL)
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # durations as timedelta, without deprecation warnings
    application = build_application(config, services)
    quiet = _NoTracebackForNetwork()
    for name in PTB_LOGGERS:
        logging.getLogger(name).addFilter(quiet)
    try:
        application.run_polling(
            allowed_updates=Update.ALL_TYPES, stop_signals=(signal.SIGINT, signal.SIGTERM)
        )
    except InvalidToken:  # its message contains the token: never shown
        raise StartFailed("Telegram refused the bot token (check TELEGRAM_BOT_TOKEN)", 2) from None
    except NetworkError as exc:  # TimedOut included; polling itself retries, so this is start-up
        raise StartFailed(
            f"cannot reach the Bot API at {config.api_url} ({type(exc).__name__}); check the network "
            "and AFTERCARE_API_URL",
            1,
        ) from None
    log.info("aftercare bot stopped")
