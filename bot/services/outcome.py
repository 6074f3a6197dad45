"""What a use case hands back: the messages it queued (plain text and buttons, no Telegram markup), the note
for a pressed button, and the alerts staff got."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from bot.storage.outbox import Priority

MAX_TEXT = 4096
"""Telegram's limit for one message."""
MAX_CAPTION = 1024


@dataclass(frozen=True)
class Button:
    """An inline button: its label and the callback data (made by `bot.services.buttons`)."""

    label: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]


class Action(StrEnum):
    """What to do in the chat."""

    SEND = "send"
    EDIT = "edit"
    """Turn an earlier message (`message_id`) into this text and keyboard."""
    CLEAR_BUTTONS = "clear_buttons"
    """Remove the keyboard of an earlier message (`message_id`)."""
    COPY = "copy"
    """Copy message `message_id` of chat `from_chat_id` here (a patient's photo to staff, and back)."""
    PHOTO = "photo"
    """A QR code of `photo_of` (an enrollment link)."""


@dataclass(frozen=True)
class Message:
    """One message to send (or one edit), as any front end can render it."""

    chat_id: int
    text: str = ""
    buttons: Keyboard = ()
    action: Action = Action.SEND
    message_id: int | None = None
    from_chat_id: int | None = None
    photo_of: str | None = None
    priority: Priority = Priority.REPLY
    about_chat_id: int | None = None
    """For a message in the staff chat: the patient it is about (a staff reply to it reaches them)."""

    def to_json(self) -> str:
        """The form kept in the outbox until the message is sent."""
        data: dict[str, object] = {"text": self.text, "action": self.action.value}
        if self.buttons:
            data["buttons"] = [[[b.label, b.data] for b in row] for row in self.buttons]
        for name in ("message_id", "from_chat_id", "photo_of"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, chat_id: int, payload: str, priority: Priority = Priority.REPLY) -> Message:
        """Inverse of `to_json`."""
        data = json.loads(payload)
        buttons = tuple(
            tuple(Button(str(label), str(d)) for label, d in row) for row in data.get("buttons", ())
        )
        return cls(
            chat_id=chat_id,
            text=str(data.get("text", "")),
            buttons=buttons,
            action=Action(data.get("action", Action.SEND.value)),
            message_id=data.get("message_id"),
            from_chat_id=data.get("from_chat_id"),
            photo_of=data.get("photo_of"),
            priority=priority,
        )


@dataclass(frozen=True)
class Outcome:
    """The result of one use case: what was queued for sending, a note on the pressed button (if one was
    pressed), and the ids of alerts raised for staff."""

    messages: tuple[Message, ...] = ()
    toast: str | None = None
    alerts: tuple[int, ...] = ()

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(self.messages + other.messages, other.toast or self.toast, self.alerts + other.alerts)


NOTHING = Outcome()


def clear_buttons(chat_id: int, message_id: int | None) -> list[Message]:
    """Remove the buttons under a message that was answered (nothing when it is not known)."""
    if message_id is None:
        return []
    return [Message(chat_id, action=Action.CLEAR_BUTTONS, message_id=message_id)]


def split(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into messages at paragraph or line ends."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > 0 else limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text.strip():
        chunks.append(text)
    return chunks
