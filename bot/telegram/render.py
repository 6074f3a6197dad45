"""All Telegram markup: inline keyboards from plain buttons, the command menus, and the enrollment QR code."""

from __future__ import annotations

import io
from collections.abc import Sequence

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.services.outcome import Keyboard


def keyboard(rows: Keyboard) -> InlineKeyboardMarkup | None:
    """Inline keyboard from plain buttons (None when there are none)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )


def commands(pairs: Sequence[tuple[str, str]]) -> list[BotCommand]:
    """A command menu (setMyCommands) from (command, description) pairs."""
    return [BotCommand(name, description) for name, description in pairs]


def qr_png(url: str) -> bytes:
    """A PNG QR code of `url` (sent under the /enroll answer)."""
    import qrcode

    buffer = io.BytesIO()
    qrcode.make(url).save(buffer)
    return buffer.getvalue()
