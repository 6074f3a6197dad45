"""Reloading the knowledge base on Telegram: a JobQueue look at the files every few seconds, and SIGHUP.

A valid edit is swapped in at once (renderer, check-ins and answers follow the one `EngineHolder`); an edit
that fails validation is refused, logged and reported in the staff chat, and the last good version stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.checkin_answers import CheckinAnswers
from bot.core.answer import Engine
from bot.knowledge_source import knowledge_folder
from bot.knowledge_watch import KnowledgeWatcher, Reload
from bot.scheduler import Dispatcher
from bot.telegram.context import BotContext
from bot.telegram.render_staff import StaffRenderer

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
WATCHER_KEY = "knowledge_watcher"


class Reloader:
    """Looks for edits and reloads; one reload at a time."""

    def __init__(self, application: Application, ctx: BotContext) -> None:  # type: ignore[type-arg]
        self.application = application
        self.ctx = ctx
        folder = ctx.config.knowledge_dir or knowledge_folder()
        self.watcher = KnowledgeWatcher(folder, ctx.config.clinic, ctx.services.deps.knowledge)
        self._lock = asyncio.Lock()
        self.sighup = False  # True once `kill -HUP` reloads

    def follow(self, engine: Engine) -> None:
        """Point everything that keeps the texts at the new knowledge base."""
        self.ctx.renderer.kb = engine.kb
        for value in self.application.bot_data.values():
            if isinstance(value, Dispatcher | CheckinAnswers):
                value.kb = engine.kb

    async def reload(self, force: bool = False) -> Reload | None:
        """Reload when the files changed (always with `force`); report a refused edit to staff."""
        async with self._lock:
            engine, result = await asyncio.to_thread(self.watcher.load, force)
            result = self.watcher.apply(engine, result)
        if result is not None and not result.loaded:
            await self._tell_staff(list(result.problems))
        return result

    async def _tell_staff(self, problems: list[str]) -> None:
        chat = self.ctx.config.staff_chat_id
        if chat is None:
            return
        for item in StaffRenderer(self.ctx.renderer).kb_refused(problems):
            try:
                await self.application.bot.send_message(chat, item.text)
            except TelegramError as exc:
                log.warning("could not tell the staff chat about the refused edit: %s", type(exc).__name__)

    async def poll(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The repeating job (it also installs the SIGHUP handler if the one-off job at start-up was missed,
        as APScheduler skips a job more than a second late)."""
        if not self.sighup:
            await self.install_sighup(context)
        await self.reload()

    async def install_sighup(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`kill -HUP <pid>` reloads at once (where the platform has signals)."""
        if self.sighup:
            return
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError, AttributeError):
            loop.add_signal_handler(
                signal.SIGHUP, lambda: self.application.create_task(self.reload(force=True))
            )
            self.sighup = True


def register(application: Application[Any, Any, Any, Any, Any, Any], ctx: BotContext) -> Reloader:
    """Add the reload job and the SIGHUP handler."""
    reloader = Reloader(application, ctx)
    ctx.services.deps.knowledge.listeners.append(reloader.follow)
    application.bot_data[WATCHER_KEY] = reloader
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            reloader.poll, interval=POLL_SECONDS, first=POLL_SECONDS, name="knowledge-reload"
        )
        application.job_queue.run_once(reloader.install_sighup, when=0.0, name="knowledge-sighup")
    return reloader
