"""Thin handlers: read the update, make one service call, wake the sender. Every word and every decision is
the services'; everything here is about Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import CallbackQuery, ChatMemberUpdated, Message, Update
from telegram.constants import ChatAction, ChatMemberStatus
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.services import Services
from bot.services.conversation import MessageKind, Received
from bot.services.dispatch import Dispatcher
from bot.services.handoffs import Incoming
from bot.services.outcome import Outcome
from bot.services.presses import Pressed
from bot.services.staff import StaffCommand

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
PATIENT_COMMANDS = ("help", "privacy", "today", "plan")


class Handlers:
    """The callbacks of the routing table in `bot.telegram.app`."""

    def __init__(self, services: Services, dispatcher: Dispatcher) -> None:
        self.services = services
        self.dispatcher = dispatcher

    def sent(self, outcome: Outcome) -> None:
        """The service queued messages: have them sent now."""
        if outcome.messages:
            self.dispatcher.wake()

    # -- patients --------------------------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        """`/start [payload]`."""
        user = update.effective_user
        payload = context.args[0] if context.args else None
        outcome = await self.services.enrollment.start(
            update.update_id, _chat(update), user.id if user else None, payload
        )
        self.sent(outcome)

    async def command(self, update: Update, context: Context) -> None:
        """`/help`, `/privacy`, `/today`, `/plan`."""
        name = _command_name(update)
        self.sent(await self.services.conversation.command(update.update_id, _chat(update), name))

    async def mute(self, update: Update, context: Context) -> None:
        """`/mute` and `/unmute`."""
        muted = _command_name(update) == "mute"
        self.sent(await self.services.privacy.mute(update.update_id, _chat(update), muted))

    async def forget(self, update: Update, context: Context) -> None:
        """`/forget`: the confirmation buttons."""
        self.sent(await self.services.privacy.ask_forget(update.update_id, _chat(update)))

    async def human(self, update: Update, context: Context) -> None:
        """`/human`: talk to a person."""
        user = update.effective_user
        outcome = await self.services.handoffs.request(
            update.update_id, _chat(update), user.first_name if user else None
        )
        self.sent(outcome)

    async def done(self, update: Update, context: Context) -> None:
        """`/done` from a patient: the bot answers again."""
        user = update.effective_user
        outcome = await self.services.handoffs.patient_done(
            update.update_id, _chat(update), user.first_name if user else None
        )
        self.sent(outcome)

    async def message(self, update: Update, context: Context) -> None:
        """Anything else a patient sends: text, photos, stickers, unknown commands."""
        message = _message(update)
        kind = _kind(message)
        if kind is MessageKind.TEXT:
            asyncio.create_task(_typing(message))  # noqa: RUF006 - shown while the answer is made; may fail
        user = update.effective_user
        incoming = Incoming(
            chat_id=message.chat.id,
            user_id=user.id if user else None,
            first_name=user.first_name if user else None,
            text=message.text if kind is MessageKind.TEXT else None,
            message_id=message.message_id,
            media=bool(message.photo or message.document or message.video),
            caption=message.caption,
        )
        self.sent(await self.services.conversation.receive(Received(update.update_id, incoming, kind)))

    async def edited(self, update: Update, context: Context) -> None:
        """An edited message: not answered again, but the patient is told how to ask."""
        self.sent(await self.services.conversation.command(update.update_id, _chat(update), "edited"))

    async def member(self, update: Update, context: Context) -> None:
        """The patient blocked (or unblocked) the bot."""
        changed: ChatMemberUpdated | None = update.my_chat_member
        if changed is None or changed.chat.type != "private":
            return
        blocked = changed.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        await self.services.privacy.reachable(update.update_id, changed.chat.id, not blocked)

    # -- buttons ---------------------------------------------------------------------------------------

    async def press(self, update: Update, context: Context) -> None:
        """Any pressed button."""
        query = update.callback_query
        if query is None:
            return
        chat = query.message.chat if query.message is not None else None
        pressed = Pressed(
            update_id=update.update_id,
            chat_id=chat.id if chat is not None else query.from_user.id,
            private=chat is not None and chat.type == "private",
            user_id=query.from_user.id,
            first_name=query.from_user.first_name,
            message_id=query.message.message_id if query.message is not None else None,
            data=query.data,
            bot_username=context.bot.username,
        )
        outcome = await self.services.presses.press(pressed)
        await _answer(query, outcome.toast)
        self.sent(outcome)

    # -- staff -----------------------------------------------------------------------------------------

    async def staff_command(self, update: Update, context: Context) -> None:
        """/enroll, /patients, /alerts, /unanswered, /stats (routed only for staff ids; checked again)."""
        user = update.effective_user
        command = StaffCommand(
            update_id=update.update_id,
            chat_id=_chat(update),
            user_id=user.id if user else None,
            name=_command_name(update),
            args=tuple(context.args or ()),
            bot_username=context.bot.username,
        )
        self.sent(await self.services.staff.command(command))

    async def chat_id(self, update: Update, context: Context) -> None:
        """`/chatid` in a group: the id to configure as the staff chat."""
        self.sent(await self.services.staff.chat_id(update.update_id, _chat(update)))

    async def staff_reply(self, update: Update, context: Context) -> None:
        """A staff member's reply to a message about a patient."""
        message = _message(update)
        replied = message.reply_to_message
        if replied is None:
            return
        outcome = await self.services.handoffs.staff_reply(
            update.update_id, replied.message_id, message.text, message.message_id
        )
        self.sent(outcome)

    async def staff_done(self, update: Update, context: Context) -> None:
        """`/done` in the staff chat (a reply to one of the patient's messages)."""
        replied = _message(update).reply_to_message
        outcome = await self.services.handoffs.staff_done(
            update.update_id, replied.message_id if replied else None
        )
        self.sent(outcome)

    # -- every update ----------------------------------------------------------------------------------

    async def settle(self, update: Update, context: Context) -> None:
        """After the handlers (a later group): an update no use case took is marked handled."""
        await self.services.inbox.settle(update.update_id)


async def _answer(query: CallbackQuery, toast: str | None) -> None:
    # An expired query (the bot was down): the spinner stops anyway, the reply still goes out.
    with contextlib.suppress(BadRequest, NetworkError):
        await query.answer(toast)


async def _typing(message: Message) -> None:
    with contextlib.suppress(TelegramError):
        await message.chat.send_action(ChatAction.TYPING)


def _kind(message: Message) -> MessageKind:
    if message.text:
        return MessageKind.COMMAND if message.text.startswith("/") else MessageKind.TEXT
    if message.photo or message.document:
        return MessageKind.PHOTO
    return MessageKind.OTHER


def _command_name(update: Update) -> str:
    text = _message(update).text or ""
    return text.split()[0].lstrip("/").split("@")[0].lower() if text else ""


def _message(update: Update) -> Message:
    message = update.effective_message
    if message is None:
        raise ValueError("update without a message")
    return message


def _chat(update: Update) -> int:
    chat = update.effective_chat
    if chat is None:
        raise ValueError("update without a chat")
    return chat.id
