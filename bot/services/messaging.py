"""How a service sends a message to a patient without knowing Telegram: the `Messenger` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class Button:
    """An inline button: its label and the callback data (at most 64 bytes) it sends back."""

    label: str
    data: str


class Delivery(StrEnum):
    """What happened to a message."""

    SENT = "sent"
    BLOCKED = "blocked"  # the patient blocked the bot (they are marked unreachable)
    RETRY = "retry"  # rate limited or a network error: try again later
    FAILED = "failed"  # refused for good (bad request)


class Messenger(Protocol):
    """Sends plain text with optional button rows to a chat; implemented by the Telegram adapter."""

    async def send(self, chat_id: int, text: str, buttons: Sequence[Sequence[Button]] = ()) -> Delivery:
        """Send one message; never raises for Telegram errors, reports them as a `Delivery`."""
        ...
