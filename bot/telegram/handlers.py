"""Patient-facing handlers: parse the update, call a service, send what the renderer made."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import date, datetime

from telegram import CallbackQuery, ChatMemberUpdated, Message, Update
from telegram.constants import ChatAction, ChatMemberStatus
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.scheduler import resume_after_unblock
from bot.services.views import DateStatus, PatientView, RedeemStatus
from bot.telegram.context import BotContext
from bot.telegram.messenger import retry_seconds
from bot.telegram.render import (
    DAYS_AGO,
    FORGET,
    OWN_PATTERN,
    PICK_DATE,
    PICK_PROCEDURE,
    PICK_ZONE,
    SUGGESTION,
    Outgoing,
    parse_callback,
)

log = logging.getLogger(__name__)

AWAITING_DATE = "awaiting_date"  # chat_data key: the procedure whose date we asked for
MAX_RETRY_AFTER = 5.0
MAX_DAYS_AGO_BUTTON = 2


async def send(message: Message, outgoing: Sequence[Outgoing]) -> None:
    """Reply with each message in order; one short wait and retry when Telegram says "retry after"."""
    for item in outgoing:
        try:
            await message.reply_text(item.text, reply_markup=item.markup)
        except RetryAfter as exc:
            await asyncio.sleep(min(retry_seconds(exc), MAX_RETRY_AFTER))
            await message.reply_text(item.text, reply_markup=item.markup)


async def edit(query: CallbackQuery, item: Outgoing) -> None:
    """Turn the message under the pressed button into `item` (a new message when it cannot be edited)."""
    try:
        await query.edit_message_text(item.text, reply_markup=item.markup)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return
        if isinstance(query.message, Message):
            await send(query.message, [item])


class PatientHandlers:
    """The commands and messages of the patient's one-to-one chat."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx
        self.render = ctx.renderer
        self.services = ctx.services

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        """Add the handlers; group chats other than the staff chat match none of them."""
        private = self.ctx.private
        commands = {
            "start": self.start,
            "help": self.help,
            "today": self.today,
            "plan": self.plan,
            "mute": self.mute,
            "unmute": self.unmute,
            "forget": self.forget,
            "privacy": self.privacy,
        }
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, callback, filters=private))
        app.add_handler(CallbackQueryHandler(self.button, pattern=OWN_PATTERN))
        app.add_handler(
            MessageHandler(private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, self.text)
        )
        app.add_handler(MessageHandler(private & filters.UpdateType.EDITED, self.edited))
        app.add_handler(ChatMemberHandler(self.member, ChatMemberHandler.MY_CHAT_MEMBER))

    def register_fallbacks(self, app: Application) -> None:  # type: ignore[type-arg]
        """Catch-alls, added after every feature module: other messages and stale buttons."""
        app.add_handler(MessageHandler(self.ctx.private & filters.UpdateType.MESSAGE, self.other))
        app.add_handler(CallbackQueryHandler(self.stale))

    # -- commands ----------------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/start [payload]`: link by invite, greet an enrolled patient, or ask for procedure and date."""
        message, chat_id = _message(update), _chat_id(update)
        user = update.effective_user
        if context.args:
            redeemed = await self.services.enrollment.redeem(
                context.args[0], chat_id, user.id if user else None
            )
            if redeemed.status is RedeemStatus.INVALID or redeemed.patient is None:
                await send(message, [Outgoing(self.render.text("invite_invalid"))])
                return
            _chat_data(context).pop(AWAITING_DATE, None)
            await send(message, [self.render.greeting(redeemed.patient)])
            return
        patient = await self.services.conversation.patient(chat_id)
        if patient is not None:
            await send(message, [self.render.greeting(patient)])
            return
        await send(message, [self.render.ask_procedure()])

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/help`."""
        await send(_message(update), [Outgoing(self.render.text("help"))])

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/privacy`."""
        await send(_message(update), [self.render.privacy()])

    async def today(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/today`: where the patient is in recovery."""
        view = await self.services.conversation.today(_chat_id(update))
        item = self.render.today(view) if view else Outgoing(self.render.text("not_enrolled"))
        await send(_message(update), [item])

    async def plan(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/plan`: the whole timeline."""
        view = await self.services.conversation.plan(_chat_id(update))
        item = self.render.plan(view) if view else Outgoing(self.render.text("not_enrolled"))
        await send(_message(update), [item])

    async def mute(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/mute`: no more check-in messages."""
        found = await self.services.privacy.set_muted(_chat_id(update), True)
        await send(_message(update), [Outgoing(self.render.text("mute" if found else "not_enrolled"))])

    async def unmute(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/unmute`: check-in messages again."""
        found = await self.services.privacy.set_muted(_chat_id(update), False)
        await send(_message(update), [Outgoing(self.render.text("unmute" if found else "not_enrolled"))])

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/forget`: ask for confirmation first."""
        await send(_message(update), [self.render.forget_confirm()])

    # -- messages ----------------------------------------------------------------------------------

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Free text: a typed treatment date while setting up, otherwise a question."""
        message, chat_id = _message(update), _chat_id(update)
        text = message.text or ""
        awaiting = _chat_data(context).get(AWAITING_DATE)
        if not isinstance(awaiting, str) or awaiting not in self.ctx.engine.kb.procedures:
            awaiting = await self._date_without_question(chat_id, text)
        # A warning sign is never read as a date: "cant breathe" during set-up gets the safety reply.
        if (
            awaiting is not None
            and not self._warning_sign(awaiting, text)
            and await self._typed_date(update, context, awaiting, text)
        ):
            return
        typing = asyncio.create_task(_typing(message))  # shown while the answer is being made
        reply = await self.services.conversation.answer(chat_id, text, procedure=awaiting)
        await typing
        if reply.answer.urgency is not None:  # staff are alerted even if the reply below fails to go out
            await self.services.alerts.from_message(reply, chat_id, text)
        await send(message, self.render.reply(reply))
        await self.services.conversation.log(reply, text)

    def _warning_sign(self, procedure: str, text: str) -> bool:
        """Whether `text` describes a warning sign of `procedure` (for someone not set up: day unknown)."""
        return self.ctx.engine.screen(text, procedure, None) is not None

    async def _date_without_question(self, chat_id: int, text: str) -> str | None:
        """The procedure to set up when someone not enrolled sends just a date (set-up interrupted by a
        restart, or answered before being asked); None otherwise. Only when the clinic has one procedure."""
        procedures = self.ctx.engine.procedures
        if len(procedures) != 1 or self.services.enrollment.read_date(text).status is DateStatus.UNREADABLE:
            return None
        return procedures[0] if await self.services.conversation.patient(chat_id) is None else None

    async def _typed_date(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, procedure: str, text: str
    ) -> bool:
        """Handle a date typed during set-up; False when the text is rather a question."""
        check = self.services.enrollment.read_date(text)
        if check.status is DateStatus.UNREADABLE and len(text.split()) > 3:
            return False
        message = _message(update)
        if check.status is not DateStatus.OK or check.treated_on is None:
            key = {
                DateStatus.FUTURE: "date_refused_future",
                DateStatus.TOO_OLD: "date_refused_old",
            }.get(check.status, "date_unreadable")
            await send(message, [Outgoing(self.render.text(key))])
            return True
        item = await self._chosen_date(update, context, procedure, check.treated_on)
        await send(message, [item])
        return True

    async def _chosen_date(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, procedure: str, when: date | int
    ) -> Outgoing:
        """`when`: a typed date, or a number of days ago (a button) counted in the time zone chosen next."""
        zones = self.services.deps.settings.timezones
        if len(zones) > 1:
            return self.render.ask_timezone(procedure, when, zones)
        treated_on = self.services.enrollment.days_ago(when, zones[0]) if isinstance(when, int) else when
        return await self._enroll(update, context, procedure, treated_on, zones[0])

    async def _enroll(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, procedure: str, treated_on: date, zone: str
    ) -> Outgoing:
        user = update.effective_user
        patient = await self.services.enrollment.enroll(
            _chat_id(update), user.id if user else None, procedure, treated_on, zone
        )
        _chat_data(context).pop(AWAITING_DATE, None)
        return self._greeting_or_stale(patient)

    def _greeting_or_stale(self, patient: PatientView | None) -> Outgoing:
        return self.render.greeting(patient) if patient else Outgoing(self.render.text("stale_button"))

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: not answered again, but the patient is told how to ask."""
        message = update.edited_message
        if message is not None:
            await send(message, [Outgoing(self.render.text("edited"))])

    async def other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, voice, photos, locations, unknown commands: a short, helpful reply."""
        message = _message(update)
        if message.text:  # an unknown /command
            key = "help"
        elif message.photo or message.document:
            key = "photo"
        else:
            key = "non_text"
        await send(message, [Outgoing(self.render.text(key))])

    async def member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The patient blocked (or unblocked) the bot: remember whether they can be reached."""
        changed: ChatMemberUpdated | None = update.my_chat_member
        if changed is None or changed.chat.type != "private":
            return
        blocked = changed.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        await self.services.privacy.mark_unreachable(changed.chat.id, blocked)
        if not blocked:  # their future check-ins, skipped while blocked, are sent again
            await resume_after_unblock(self.services.deps.store, changed.chat.id, self.services.deps.clock())

    # -- buttons -----------------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pressed inline button of ours: set-up steps, suggestions, the /forget confirmation."""
        query = update.callback_query
        assert query is not None
        if query.message is None or query.message.chat.type != "private":
            with contextlib.suppress(BadRequest):
                await query.answer()
            return
        prefix, fields = parse_callback(query.data)
        with contextlib.suppress(BadRequest):  # an expired query: the spinner stops anyway, carry on
            await query.answer()
        if prefix == PICK_PROCEDURE and len(fields) == 1 and fields[0] in self.ctx.engine.kb.procedures:
            _chat_data(context)[AWAITING_DATE] = fields[0]
            await edit(query, self.render.ask_date(fields[0]))
        elif (
            prefix == PICK_DATE
            and len(fields) == 2
            and fields[1].isdigit()
            and int(fields[1]) <= MAX_DAYS_AGO_BUTTON
        ):
            await edit(query, await self._chosen_date(update, context, fields[0], int(fields[1])))
        elif prefix == PICK_ZONE and len(fields) == 3:
            await edit(query, await self._zone(update, context, fields))
        elif prefix == SUGGESTION and len(fields) == 1:
            await self._suggestion(update, query, fields[0])
        elif prefix == FORGET and fields == ["yes"]:
            report = await self.services.privacy.forget(_chat_id(update))
            _chat_data(context).clear()
            await edit(query, self.render.forgotten(report))
        elif prefix == FORGET:
            await edit(query, Outgoing(self.render.text("forget_cancelled")))
        else:
            await edit(query, Outgoing(self.render.text("stale_button")))

    async def _zone(self, update: Update, context: ContextTypes.DEFAULT_TYPE, fields: list[str]) -> Outgoing:
        zones = self.services.deps.settings.timezones
        index, procedure, stamp = fields
        try:
            zone = zones[int(index)]
            if stamp.startswith(DAYS_AGO) and int(stamp[1:]) <= MAX_DAYS_AGO_BUTTON:
                # "today" / "yesterday": the date in the patient's zone, which may be behind the clinic's
                treated_on = self.services.enrollment.days_ago(int(stamp[1:]), zone)
            else:
                treated_on = datetime.strptime(stamp, "%Y%m%d").date()
        except (ValueError, IndexError):
            return Outgoing(self.render.text("stale_button"))
        return await self._enroll(update, context, procedure, treated_on, zone)

    async def _suggestion(self, update: Update, query: CallbackQuery, entry_id: str) -> None:
        reply = await self.services.conversation.pick(_chat_id(update), entry_id)
        if not isinstance(query.message, Message):
            return
        if reply is None:
            await send(query.message, [Outgoing(self.render.text("stale_button"))])
            return
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(None)  # the question is settled: drop the buttons
        await send(query.message, self.render.reply(reply))

    async def stale(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button nobody handles (an old message, a removed feature): say so briefly."""
        query = update.callback_query
        if query is not None:
            with contextlib.suppress(BadRequest, NetworkError):
                await query.answer(self.render.text("stale_button")[:200])


async def _typing(message: Message) -> None:
    with contextlib.suppress(TelegramError):
        await message.chat.send_action(ChatAction.TYPING)


def _message(update: Update) -> Message:
    message = update.effective_message
    if message is None:
        raise ValueError("update without a message")
    return message


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    if chat is None:
        raise ValueError("update without a chat")
    return chat.id


def _chat_data(context: ContextTypes.DEFAULT_TYPE) -> dict[object, object]:
    data = context.chat_data
    if data is None:
        raise ValueError("update without chat data")
    return data
