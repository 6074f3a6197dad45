"""`BotContext`: what every Telegram feature module receives when it registers its handlers."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import BotCommand
from telegram.ext import filters

from bot.config import Config
from bot.core.answer import Engine
from bot.services import Clock, Services
from bot.services.messaging import Messenger
from bot.storage import Store
from bot.telegram.render import Renderer


@dataclass
class BotContext:
    """Config, store, engine, services, clock, renderer and messenger, shared by all handlers.

    Feature modules may append to `commands` (the menu set at start-up) while registering.
    """

    config: Config
    services: Services
    renderer: Renderer
    messenger: Messenger
    commands: list[BotCommand] = field(default_factory=list)

    @property
    def store(self) -> Store:
        """The database."""
        return self.services.deps.store

    @property
    def engine(self) -> Engine:
        """The answering engine."""
        return self.services.deps.engine

    @property
    def clock(self) -> Clock:
        """The clock every time-dependent piece uses (tests pass their own to `Services.create`)."""
        return self.services.deps.clock

    @property
    def private(self) -> filters.BaseFilter:
        """Filter for patients' one-to-one chats."""
        return filters.ChatType.PRIVATE

    @property
    def staff_chat(self) -> filters.BaseFilter | None:
        """Filter for the clinic's staff group (None when AFTERCARE_STAFF_CHAT_ID is not set)."""
        chat_id = self.config.staff_chat_id
        return filters.Chat(chat_id=chat_id) if chat_id is not None else None
