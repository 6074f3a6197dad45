"""The whole bot in one place: the Application, its routing table, its jobs, start and stop.

Like python-telegram-bot's rules-bot `main()`: read `build` top to bottom to see every update the bot takes
and the one service call each makes (in `bot.telegram.handlers`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Bot as TelegramBot
from telegram import BotCommandScopeChat, Update
from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.config import Config
from bot.services import Services
from bot.services.dispatch import Dispatcher
from bot.services.inbox import Arrived
from bot.services.knowledge import Reload
from bot.services.wording import STAFF_COMMANDS
from bot.telegram.handlers import PATIENT_COMMANDS, Handlers
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.render import commands
from bot.telegram.sender import TelegramSender
from bot.telegram.signals import Signals
from bot.telegram.updates import InboxBot, PerChatProcessor, raw

log = logging.getLogger("aftercare")

MAX_CONCURRENT_UPDATES = 8
# httpcore scans every pooled connection (with syscalls) on each request: a small pool is much faster than
# PTB's default of 256 under load, and plenty for one bot's traffic.
CONNECTIONS = 8
POOL_TIMEOUT = 10.0
SWITCH_INTERVAL = 0.0005
PURGE_EVERY = timedelta(days=1)
RELOAD_EVERY = 5.0
STOP_GRACE = 2.0
"""Seconds the sender may go on at a stop, for replies already queued (the rest go out at the next start)."""

App = Application[Any, Any, Any, Any, Any, Any]
ErrorHandler = Callable[[object, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def file_url(api_url: str) -> str:
    """The file download base for a Bot API base URL (".../bot" -> ".../file/bot")."""
    return api_url[: -len("/bot")] + "/file/bot" if api_url.endswith("/bot") else api_url


@dataclass
class Bot:
    """A built bot: the Application, the services, and the sender of the outbox."""

    application: App
    services: Services
    dispatcher: Dispatcher
    config: Config
    reloading: asyncio.Lock = field(default_factory=asyncio.Lock)
    _serving: asyncio.Task[None] | None = field(default=None, init=False)

    async def started(self, application: App | None = None) -> None:
        """After the Application initialised (PTB's post_init): menus, the bot's username, updates a crash
        left unhandled, the retention purge, and the sender."""
        app, services = self.application, self.services
        await app.bot.set_my_commands(commands(services.wording.commands()))
        if self.config.staff_chat_id is not None:
            menu = commands(services.wording.commands(STAFF_COMMANDS, staff=True))
            try:
                await app.bot.set_my_commands(menu, scope=BotCommandScopeChat(self.config.staff_chat_id))
            except TelegramError as exc:
                log.warning("could not set the staff chat's command menu: %s", type(exc).__name__)
        await services.enrollment.remember_bot_username(app.bot.username)
        for item in await services.inbox.waiting():
            await app.update_queue.put(Update.de_json(json.loads(item.raw), app.bot))
        await services.deps.store.run(services.privacy.purge)
        await services.deps.store.run(services.checkins.replan_if_settings_changed)
        self._serving = asyncio.get_running_loop().create_task(self.dispatcher.serve(), name="outbox")
        log.info(
            "aftercare bot @%s ready: %d procedure(s), knowledge %s, database %s",
            app.bot.username,
            len(services.deps.engine.procedures),
            services.deps.knowledge.folder,
            self.config.db_path,
        )

    async def stopped(self, application: App | None = None) -> None:
        """After the Application stopped (PTB's post_stop): the sender finishes briefly, then stops."""
        serving = self._serving
        if serving is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dispatcher.drain(), STOP_GRACE)
        self.dispatcher.stop()
        if serving is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(serving, STOP_GRACE)
        log.info("aftercare bot stopped")

    async def reload(self, force: bool = False) -> Reload | None:
        """Reload the knowledge base if it changed (always with `force`); staff hear of a refused edit."""
        async with self.reloading:
            result = await asyncio.to_thread(self.services.deps.knowledge.reload, force)
        if result is not None and not result.loaded:
            outcome = await self.services.staff.knowledge_refused(list(result.problems))
            if outcome.messages:
                self.dispatcher.wake()
        return result


def build(config: Config, services: Services, limiter: RateLimiter | None = None) -> Bot:
    """The bot: Application, routing table, jobs. Every handler makes one service call."""

    async def into_inbox(found: Sequence[Update]) -> None:
        chats = [u.effective_chat for u in found]
        await services.inbox.receive(
            [Arrived(u.update_id, c.id if c else None, raw(u)) for u, c in zip(found, chats, strict=True)]
        )

    bot = InboxBot(
        config.token,
        base_url=config.api_url,
        base_file_url=file_url(config.api_url),
        request=HTTPXRequest(connection_pool_size=CONNECTIONS, pool_timeout=POOL_TIMEOUT),
        get_updates_request=HTTPXRequest(),
        on_received=into_inbox,
    )
    application = (
        ApplicationBuilder().bot(bot).concurrent_updates(PerChatProcessor(MAX_CONCURRENT_UPDATES)).build()
    )
    dispatcher = services.dispatcher(TelegramSender(application.bot, limiter or RateLimiter()))
    built = Bot(application, services, dispatcher, config)
    h = Handlers(services, dispatcher)

    private = filters.ChatType.PRIVATE
    staff = filters.User(user_id=config.staff_ids, allow_empty=False)
    staff_chat = filters.Chat(chat_id=config.staff_chat_id) if config.staff_chat_id is not None else None
    staff_places = (private | staff_chat) if staff_chat is not None else private
    staff_commands = [c for c in STAFF_COMMANDS if c != "done"]

    # -- the routing table: in each group the first match wins ------------------------------------------
    application.add_handlers(
        [
            CommandHandler("start", h.start, filters=private),
            CommandHandler(PATIENT_COMMANDS, h.command, filters=private),
            CommandHandler(("mute", "unmute"), h.mute, filters=private),
            CommandHandler("forget", h.forget, filters=private),
            CommandHandler("human", h.human, filters=private),
            CommandHandler("done", h.done, filters=private),
            CommandHandler(staff_commands, h.staff_command, filters=staff & staff_places),
            CommandHandler("chatid", h.chat_id, filters=filters.ChatType.GROUPS),
            MessageHandler(private & filters.UpdateType.MESSAGE, h.message),
            MessageHandler(private & filters.UpdateType.EDITED, h.edited),
            CallbackQueryHandler(h.press),
            ChatMemberHandler(h.member, ChatMemberHandler.MY_CHAT_MEMBER),
        ]
    )
    if staff_chat is not None:
        application.add_handlers(
            [
                CommandHandler("done", h.staff_done, filters=staff_chat & staff),
                MessageHandler(staff_chat & staff & filters.REPLY & ~filters.COMMAND, h.staff_reply),
            ]
        )
    application.add_handler(TypeHandler(Update, h.settle), group=1)  # an update nobody took is settled
    application.add_error_handler(error_handler(built))

    # -- jobs ------------------------------------------------------------------------------------------------
    if application.job_queue is not None:

        async def reload(context: ContextTypes.DEFAULT_TYPE) -> None:
            await built.reload()

        async def purge(context: ContextTypes.DEFAULT_TYPE) -> None:
            done = await services.deps.store.run(services.privacy.purge)
            log.info("retention purge: %s", ", ".join(f"{k}={v}" for k, v in done.items()))

        application.job_queue.run_repeating(reload, interval=RELOAD_EVERY, first=RELOAD_EVERY, name="reload")
        application.job_queue.run_repeating(purge, interval=PURGE_EVERY, first=PURGE_EVERY, name="purge")
    return built


class Coalesced:
    """A job asked for again and again (a SIGHUP per log rotation, or dozens in a burst) runs once at a time,
    and once more after it when asked meanwhile: a burst never queues a pile of reloads that shutdown must
    wait for."""

    def __init__(self, job: Callable[[], Awaitable[object]]) -> None:
        self.job = job
        self.task: asyncio.Task[None] | None = None
        self.again = False

    def request(self) -> None:
        """Run the job now, or once more when the run in progress ends."""
        if self.task is not None and not self.task.done():
            self.again = True
            return
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.again = False
            await self.job()
            if not self.again:
                return

    async def cancel(self) -> None:
        """Stop a run in progress (at shutdown) and wait for it to end."""
        self.again = False
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def error_handler(built: Bot) -> ErrorHandler:
    """Log a failure without the patient's words or the token, and queue the polite fallback for them."""

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, Forbidden):
            log.warning("update %s: Telegram refused a message (Forbidden)", update_id)
        elif update is None:
            log.warning("problem while polling: %s", type(error).__name__)
            return
        else:
            log.error("error while handling update %s: %s", update_id, type(error).__name__, exc_info=error)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None or chat.type != "private":
            return
        outcome = await built.services.conversation.fallback(chat.id)
        if outcome.messages:
            built.dispatcher.wake()

    return on_error


class StartFailed(Exception):
    """The bot could not start (token refused, Bot API unreachable): one line for the operator, no token."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


async def serve(
    built: Bot, stop: asyncio.Event, poll_timeout: float = 10.0, reload_asked: asyncio.Event | None = None
) -> None:
    """Run the bot until `stop` is set: initialise, recover, poll, then stop cleanly (queued updates are
    handled, the sender gets a short grace). `kill -HUP` reloads the knowledge base at once, one reload at a
    time; `reload_asked` set (a SIGHUP during start-up) reloads as soon as the bot is built."""
    app = built.application
    loop = asyncio.get_running_loop()
    before = signal.getsignal(signal.SIGHUP)
    reloads = Coalesced(lambda: built.reload(force=True))
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGHUP, reloads.request)
    if reload_asked is not None and reload_asked.is_set():
        reloads.request()
    try:
        async with app:
            await built.started()
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=int(poll_timeout))
            await app.start()
            try:
                await stop.wait()
            finally:
                await app.updater.stop()
                await app.stop()
                await built.stopped()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            # Back to the handler it had, not to the default (which would end the process at a SIGHUP).
            if loop.remove_signal_handler(signal.SIGHUP) and before is not None:
                signal.signal(signal.SIGHUP, before)
        await reloads.cancel()


def run(config: Config, services: Services, signals: Signals | None = None) -> None:
    """Long polling until SIGINT or SIGTERM; returns after a clean stop, StartFailed when it cannot start.
    `signals`, installed at the very start of the process, tells of a SIGTERM that came during start-up."""
    # The database thread hands results back to the event loop: a short switch interval keeps that quick
    # when the loop is busy (Python's default is 5 ms per hand-over).
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        asyncio.run(_run(config, services, signals or Signals()))
    finally:
        if signals is not None:
            signals.install()  # the closed loop reset SIGTERM to its default: shutting down stays clean


REQUEST_LOGGER = "telegram.request"


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Silence the logger `name` (below CRITICAL) for the block."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


RETRY_START = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""Seconds between attempts to reach the Bot API at start (the last one repeats): a network that is not up
yet at boot is waited for, not given up on."""


def refused(config: Config, exc: TelegramError) -> StartFailed:
    """The one-line reason the Bot API refused to start the bot. The error's text is never shown: a server
    that is not the Bot API may echo the URL, which holds the token."""
    cause = exc.__cause__  # PTB's getMe wraps the server's answer in its own "token rejected" error
    text = str(cause if isinstance(cause, TelegramError) else exc)
    url = config.api_url
    if "Parsing the server response" in text or not isinstance(exc, InvalidToken):
        return StartFailed(f"{url} does not answer like a Telegram Bot API; check AFTERCARE_API_URL", 2)
    if text.startswith("Not Found"):
        return StartFailed(
            f"{url} answered 404 Not Found: check AFTERCARE_API_URL (Telegram's is https://api.telegram.org/bot)",
            2,
        )
    return StartFailed("Telegram refused the bot token (check TELEGRAM_BOT_TOKEN)", 2)


async def reach_api(config: Config, stop: asyncio.Event, delays: Sequence[float] = RETRY_START) -> bool:
    """Ask the Bot API who the bot is until it answers, waiting longer between attempts while the network
    is down; StartFailed when it refuses; False when stopped while waiting."""
    attempt = 0
    while not stop.is_set():
        probe = TelegramBot(config.token, base_url=config.api_url, base_file_url=file_url(config.api_url))
        try:
            with _quiet(REQUEST_LOGGER):  # a page that is not JSON is our one line, not PTB's traceback
                async with probe:  # getMe
                    return True
        except NetworkError as exc:  # TimedOut included; a 5xx too
            wait = delays[min(attempt, len(delays) - 1)]
            attempt += 1
            log.warning(
                "cannot reach the Bot API at %s (%s); trying again in %.0f s",
                config.api_url,
                type(exc).__name__,
                wait,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
        except TelegramError as exc:
            raise refused(config, exc) from None
    return False


async def _run(config: Config, services: Services, signals: Signals) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    reload_asked = asyncio.Event()  # the knowledge base was just read: a SIGHUP now reloads once it runs
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGHUP, reload_asked.set)
    if signals.stop:
        return  # a SIGTERM came during start-up: stop before polling
    if not await reach_api(config, stop):
        return
    built = build(config, services)
    try:
        await serve(built, stop, reload_asked=reload_asked)
    except TelegramError as exc:  # its message may hold the token: never shown
        if isinstance(exc, NetworkError):
            raise StartFailed(
                f"lost the Bot API at {config.api_url} while starting ({type(exc).__name__}); "
                "it will be tried again at the next start",
                1,
            ) from None
        raise refused(config, exc) from None
