"""The one send path to Telegram: every message the dispatcher sends goes through here, at Telegram's limits
(30 a second overall, 1 a second per chat, 20 a minute per group), and Telegram's errors become the
dispatcher's outcomes."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

import httpx
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.services.dispatch import Blocked, NotSent, RateLimited, Rejected, Uncertain
from bot.services.outcome import Action, Message
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.render import keyboard, qr_png

_NOT_SENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def retry_seconds(error: RetryAfter) -> float:
    """Seconds to wait after a 429, however PTB represents them (no deprecation warning either way)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(str(value))


class TelegramSender:
    """Sends plain messages with a PTB bot; one limiter for every send."""

    def __init__(self, bot: Any, limiter: RateLimiter | None = None) -> None:
        self.bot = bot
        self.limiter = limiter or RateLimiter()

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": hold every send."""
        self.limiter.pause(seconds)

    async def send(self, message: Message) -> int:
        """Send one message (or edit, copy, photo); return its Telegram message id."""
        await self.limiter.acquire(message.chat_id, int(message.priority))
        try:
            return await self._call(message)
        except RetryAfter as exc:
            raise RateLimited(retry_seconds(exc)) from exc
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

    async def _call(self, message: Message) -> int:
        bot, chat, markup = self.bot, message.chat_id, keyboard(message.buttons)
        if (
            message.action is Action.COPY
            and message.from_chat_id is not None
            and message.message_id is not None
        ):
            copied = await bot.copy_message(
                chat, message.from_chat_id, message.message_id, caption=message.text or None
            )
            return int(copied.message_id)
        if message.action is Action.PHOTO and message.photo_of:
            sent = await bot.send_photo(chat, qr_png(message.photo_of))
            return int(sent.message_id)
        if message.action in (Action.EDIT, Action.CLEAR_BUTTONS) and message.message_id is not None:
            try:
                if message.action is Action.CLEAR_BUTTONS:
                    await bot.edit_message_reply_markup(chat, message.message_id, reply_markup=None)
                else:
                    await bot.edit_message_text(message.text, chat, message.message_id, reply_markup=markup)
                return message.message_id
            except BadRequest as exc:
                if "not modified" in exc.message.lower() or message.action is Action.CLEAR_BUTTONS:
                    return message.message_id  # already so, or nothing left to clear
            # The message under the button cannot be edited (gone, too old): the text goes as a new message.
        sent = await bot.send_message(chat, message.text, reply_markup=markup)
        return int(sent.message_id)
