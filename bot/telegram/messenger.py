"""`TelegramMessenger`: the `Messenger` protocol over a PTB bot, for services that send on their own."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.services.messaging import Button, Delivery
from bot.telegram.render import keyboard

log = logging.getLogger(__name__)

OnBlocked = Callable[[int], Awaitable[object]]


def retry_seconds(error: RetryAfter) -> float:
    """Seconds to wait after a 429 (PTB gives a timedelta with PTB_TIMEDELTA=true, else a number)."""
    value: object = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(str(value))


class TelegramMessenger:
    """Sends through the Application's bot; a patient who blocked the bot is reported via `on_blocked`."""

    def __init__(self, bot: Bot, on_blocked: OnBlocked | None = None) -> None:
        self.bot = bot
        self.on_blocked = on_blocked

    async def send(self, chat_id: int, text: str, buttons: Sequence[Sequence[Button]] = ()) -> Delivery:
        """Send one message; Telegram errors become a `Delivery`, never an exception."""
        try:
            await self.bot.send_message(chat_id, text, reply_markup=keyboard(buttons))
        except Forbidden:
            if self.on_blocked is not None:
                await self.on_blocked(chat_id)
            return Delivery.BLOCKED
        except RetryAfter as exc:
            log.warning("rate limited by Telegram for %.0f s", retry_seconds(exc))
            return Delivery.RETRY
        except BadRequest as exc:
            log.warning("Telegram refused a message: %s", exc.message)
            return Delivery.FAILED
        except (TimedOut, NetworkError):
            return Delivery.RETRY
        except TelegramError as exc:
            log.warning("Telegram error: %s", type(exc).__name__)
            return Delivery.FAILED
        return Delivery.SENT
