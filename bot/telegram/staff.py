"""The clinic's side on Telegram: staff alerts and their buttons, the human handoff, staff commands.

`register(application, ctx)` wires it all. Every staff action checks the sender's numeric user id against
AFTERCARE_STAFF_IDS (default: nobody); anyone else gets the ordinary patient reply, or nothing in a group.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import date, datetime
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.checkin_answers import CheckinAnswers
from bot.core.hours import is_open
from bot.core.model import Tier
from bot.scheduler import Dispatcher, OutgoingMessage
from bot.services.alerts import AckStatus, AlertView
from bot.services.views import DateStatus
from bot.telegram import checkins
from bot.telegram.context import BotContext
from bot.telegram.handlers import send
from bot.telegram.render import PERSON, Outgoing, parse_callback
from bot.telegram.render_staff import ALERT_PREFIX, HANDLE, OPEN_CHAT, StaffRenderer, qr_png

log = logging.getLogger(__name__)

HANDOFF_GROUP = -1  # before the patient handlers (see app.CLAIM_GROUP)
ESCALATION_INTERVAL = 5.0
"""Seconds between looks for new check-in escalations and due alerts (repeats, alerts queued before a
restart): the dispatcher's own wake-up is every 30 seconds."""
STAFF_COMMANDS = ("enroll", "patients", "alerts", "unanswered", "stats")
UNANSWERED_DAYS = 30


class Staff:
    """Handlers of the staff chat and of the patient side of a handoff."""

    def __init__(self, ctx: BotContext, dispatcher: Dispatcher) -> None:
        self.ctx = ctx
        self.services = ctx.services
        self.render = StaffRenderer(ctx.renderer)
        self.dispatcher = dispatcher
        self.staff_chat = ctx.config.staff_chat_id
        self.staff_ids = ctx.config.staff_ids
        self._menu_set = False

    # -- wiring --------------------------------------------------------------------------------------

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        """Add the handlers, the alert composer and the escalation job."""
        private = filters.ChatType.PRIVATE
        staff_user = filters.User(user_id=self.staff_ids, allow_empty=False)
        staff_chat = self.ctx.staff_chat
        where = (private | staff_chat) if staff_chat is not None else private
        for name in STAFF_COMMANDS:
            app.add_handler(CommandHandler(name, getattr(self, name), filters=staff_user & where))
        if staff_chat is not None:
            app.add_handler(CommandHandler("done", self.staff_done, filters=staff_chat & staff_user))
            app.add_handler(
                MessageHandler(staff_chat & staff_user & filters.REPLY & ~filters.COMMAND, self.staff_reply)
            )
        app.add_handler(CommandHandler("human", self.human, filters=private))
        app.add_handler(CommandHandler("done", self.patient_done, filters=private))
        app.add_handler(CallbackQueryHandler(self.button, pattern=f"^{ALERT_PREFIX}:"))
        if staff_chat is not None:
            app.add_handler(CallbackQueryHandler(self.person, pattern=f"^{PERSON}:"))
            self.ctx.renderer.offer_person = True
        app.add_handler(
            MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.COMMAND, self.relay),
            group=HANDOFF_GROUP,
        )
        self.dispatcher.send_alerts_with(self.compose)
        answers = app.bot_data.get(checkins.ANSWERS_KEY)
        if isinstance(answers, CheckinAnswers):
            answers.closed_note = self.closed_note
        self.services.alerts.listeners.append(lambda: self.kick(app))
        if app.job_queue is not None:
            app.job_queue.run_repeating(
                self._escalations, interval=ESCALATION_INTERVAL, first=1.0, name="staff-escalations"
            )

    def kick(self, app: Application) -> None:  # type: ignore[type-arg]
        """Send queued alerts now, ahead of any check-ins a running pass is sending."""

        if self.dispatcher.wake():
            app.create_task(self.dispatcher.run_once(), name="staff-alert-dispatch")

    async def _escalations(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not self._menu_set:
            await self._set_menu(context)
        if not await self.services.alerts.sync_escalations() and await self.services.alerts.due():
            self.kick(context.application)

    async def _set_menu(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The staff commands as the command menu of the staff chat only (patients never see them)."""
        if self.staff_chat is None:
            return
        menu = [BotCommand(c, self.render.text(f"commands.{c}") or c) for c in (*STAFF_COMMANDS, "done")]
        try:
            await context.bot.set_my_commands(menu, scope=BotCommandScopeChat(self.staff_chat))
        except TelegramError as exc:
            log.warning("could not set the staff chat's command menu: %s", type(exc).__name__)
        self._menu_set = True

    def compose(self, chat_id: int, view: AlertView) -> OutgoingMessage:
        """The staff-chat message of a queued alert (the dispatcher sends it)."""
        text, rows = self.render.alert(view)
        return OutgoingMessage(chat_id, text, tuple(tuple(r) for r in rows))

    def closed_note(self, tier: Tier, now: datetime) -> str | None:
        """Out of opening hours: the note added to a check-in's warning-sign reply."""
        hours = self.services.deps.settings.clinic_hours
        if hours is None or is_open(hours, now):
            return None
        return self.ctx.renderer.text(f"closed_now.{tier.value}", hours=self.ctx.renderer.hours)

    def is_staff(self, update: Update) -> bool:
        """The sender is on the staff list (numeric ids only)."""
        user = update.effective_user
        return user is not None and user.id in self.staff_ids

    # -- alert buttons -------------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """ "I'll handle it" and "Open chat"; from anyone but staff, a stale-button note and nothing else."""
        query = update.callback_query
        assert query is not None
        _, fields = parse_callback(query.data)
        in_place = query.message is not None and query.message.chat.id in (
            self.staff_chat,
            query.from_user.id,
        )
        if not self.is_staff(update) or not in_place or len(fields) != 2 or not fields[1].isdigit():
            with contextlib.suppress(BadRequest):
                await query.answer(self.ctx.renderer.text("stale_button")[:200])
            return
        action, alert_id = fields[0], int(fields[1])
        staff_name = query.from_user.first_name
        ack = await self.services.alerts.acknowledge(alert_id, query.from_user.id)
        if ack.alert is None:
            await query.answer(self.ctx.renderer.text("stale_button")[:200])
            return
        if action == HANDLE:
            await query.answer(
                self.render.text("ack_done" if ack.status == AckStatus.DONE else "ack_already")
            )
        else:
            await query.answer()
        if ack.status == AckStatus.DONE and isinstance(query.message, Message):
            item = self.render.taken(ack.alert, staff_name)
            with contextlib.suppress(BadRequest):
                await query.edit_message_text(item.text, reply_markup=item.markup)
        if action == OPEN_CHAT:
            await self.open_handoff(context, ack.alert.chat_id, "staff", None)

    # -- handoff -------------------------------------------------------------------------------------

    async def open_handoff(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, by: str, first_name: str | None
    ) -> bool:
        """Open a handoff, tell both sides; False when one was open already (or there is no staff chat)."""
        if self.staff_chat is None:
            return False
        handoff = await self.services.handoffs.open(chat_id, by)
        if not handoff.opened:
            return False
        posted = await context.bot.send_message(
            self.staff_chat, self.render.handoff_opened(handoff.patient, first_name)
        )
        await self.services.handoffs.remember(self.staff_chat, posted.message_id, chat_id)
        if by == "staff":
            with contextlib.suppress(Forbidden, BadRequest):
                await context.bot.send_message(chat_id, self.ctx.renderer.text("human_joined"))
        return True

    async def human(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/human`: the patient asks for a person."""
        message = _message(update)
        if self.staff_chat is None:
            await send(message, [Outgoing(self.ctx.renderer.text("human_unavailable"))])
            return
        user = update.effective_user
        opened = await self.open_handoff(
            context, message.chat.id, "patient", user.first_name if user else None
        )
        await send(message, [Outgoing(self.ctx.renderer.text("human_opened" if opened else "human_already"))])

    async def person(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The "Talk to a person" button under an answer the bot could not give: like `/human`."""
        query = update.callback_query
        assert query is not None
        if not isinstance(query.message, Message) or query.message.chat.type != "private":
            await query.answer()
            return
        await query.answer()
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        chat_id = query.message.chat.id
        opened = await self.open_handoff(context, chat_id, "patient", query.from_user.first_name)
        text = self.ctx.renderer.text("human_opened" if opened else "human_already")
        await context.bot.send_message(chat_id, text)

    async def patient_done(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/done` from the patient: the bot answers again."""
        message = _message(update)
        closed = await self.services.handoffs.close(message.chat.id)
        if closed is None:
            await send(message, [Outgoing(self.ctx.renderer.text("human_none"))])
            return
        await send(message, [Outgoing(self.ctx.renderer.text("human_closed"))])
        if self.staff_chat is not None:
            user = update.effective_user
            name = self.render.patient_name(closed.patient, user.first_name if user else None)
            await context.bot.send_message(
                self.staff_chat, self.render.text("handoff_patient_closed", name=name)
            )

    async def relay(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A patient's message in a handoff goes to the staff chat; a warning sign still gets its reply."""
        message = _message(update)
        chat_id = message.chat.id
        if self.staff_chat is None or not await self.services.handoffs.is_open(chat_id):
            return  # not in a handoff: the patient handlers answer it
        user = update.effective_user
        patient = await self.services.handoffs.who(chat_id)
        first_name = user.first_name if user else None
        sent: list[int] = []
        if message.text:
            text = self.render.relayed(patient, first_name, message.text, 4096)
            posted = await context.bot.send_message(self.staff_chat, text)
            sent.append(posted.message_id)
        elif message.photo or message.document or message.video:
            caption = self.render.relayed(patient, first_name, message.caption, 1024)
            copied = await message.copy(self.staff_chat, caption=caption)
            sent.append(copied.message_id)
        else:
            posted = await context.bot.send_message(self.staff_chat, self.render.header(patient, first_name))
            copied = await message.copy(self.staff_chat)
            sent += [posted.message_id, copied.message_id]
        for message_id in sent:
            await self.services.handoffs.remember(self.staff_chat, message_id, chat_id)
        if message.text:
            reply = await self.services.conversation.answer(chat_id, message.text)
            urgency, safety = reply.answer.urgency, reply.answer.safety
            if urgency is not None and safety:
                items = [Outgoing(safety)]  # the safety reply (and the out-of-hours note), nothing else
                if not reply.clinic_open:
                    hours = self.ctx.renderer.hours
                    items.append(Outgoing(self.ctx.renderer.text(f"closed_now.{urgency.value}", hours=hours)))
                await send(message, items)
                await self.services.alerts.from_message(reply, chat_id, message.text)
        raise ApplicationHandlerStop

    async def staff_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A staff member's reply to a patient's relayed message is delivered to that patient."""
        message = _message(update)
        replied = message.reply_to_message
        if replied is None or self.staff_chat is None:
            return
        owner = await self.services.handoffs.owner(self.staff_chat, replied.message_id)
        if owner is None:
            return  # a reply to something else: staff talking among themselves
        chat_id, is_open = owner
        if not is_open:
            await send(message, [Outgoing(self.render.text("handoff_not_open"))])
            return
        try:
            if message.text:
                text = self.ctx.renderer.text("from_clinic", text=message.text)
                await context.bot.send_message(chat_id, text[:4096])
            else:
                await message.copy(chat_id)
        except (Forbidden, BadRequest):
            patient = await self.services.handoffs.who(chat_id)
            name = self.render.patient_name(patient, None)
            await send(message, [Outgoing(self.render.text("handoff_undelivered", name=name))])

    async def staff_done(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/done` in the staff chat, as a reply to one of the patient's messages: close their handoff."""
        message = _message(update)
        replied = message.reply_to_message
        owner = (
            await self.services.handoffs.owner(self.staff_chat or 0, replied.message_id) if replied else None
        )
        if owner is None:
            await send(message, [Outgoing(self.render.text("done_usage"))])
            return
        chat_id, _ = owner
        closed = await self.services.handoffs.close(chat_id)
        if closed is None:
            await send(message, [Outgoing(self.render.text("handoff_not_open"))])
            return
        name = self.render.patient_name(closed.patient, None)
        await send(message, [Outgoing(self.render.text("handoff_closed", name=name))])
        with contextlib.suppress(Forbidden, BadRequest):
            await context.bot.send_message(chat_id, self.ctx.renderer.text("human_closed_by_staff"))

    # -- staff commands ------------------------------------------------------------------------------

    async def enroll(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/enroll YYYY-MM-DD [name]`: a signed single-use link and its QR code."""
        message = _message(update)
        args = context.args or []
        try:
            treated_on = date.fromisoformat(args[0]) if args else None
        except ValueError:
            treated_on = None
        if treated_on is None:
            await send(message, [Outgoing(self.render.text("enroll_usage"))])
            return
        enrollment = self.services.enrollment
        if enrollment.check_date(treated_on).status is not DateStatus.OK:
            await send(message, [Outgoing(self.render.text("enroll_refused"))])
            return
        username = context.bot.username or self.ctx.config.bot_username
        if not username:
            await send(message, [Outgoing(self.render.text("enroll_no_username"))])
            return
        name = " ".join(args[1:])[:64] or None
        procedure = self.services.conversation.default_procedure()
        invitation = await self.ctx.store.run(
            enrollment.create_invite, username, procedure, treated_on, self.ctx.config.timezone, name
        )
        title = self.ctx.engine.procedure(procedure).name
        await send(message, [Outgoing(self.render.enrolled(invitation, name, title, treated_on))])
        await message.reply_photo(qr_png(invitation.url))

    async def patients(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/patients`."""
        await send(_message(update), self.render.patients(await self.services.reports.patients()))

    async def alerts(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/alerts`: the open ones, each with its buttons."""
        found = await self.services.alerts.open_alerts()
        await send(_message(update), [self.render.open_alerts(found, self.ctx.clock())])

    async def unanswered(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/unanswered`: grouped by similarity, with counts."""
        groups = await self.services.reports.unanswered(UNANSWERED_DAYS)
        await send(_message(update), self.render.unanswered(groups, UNANSWERED_DAYS))

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/stats`: the last 7 and 30 days."""
        await send(_message(update), [self.render.stats(await self.services.reports.stats())])


def _message(update: Update) -> Message:
    message = update.effective_message
    if message is None:
        raise ValueError("update without a message")
    return message


STAFF_KEY = "staff"


def register(application: Application[Any, Any, Any, Any, Any, Any], ctx: BotContext) -> Staff:
    """Wire the staff side (after the check-in module when present, whose dispatcher also sends alerts)."""
    dispatcher = application.bot_data.get(checkins.DISPATCHER_KEY)
    if not isinstance(dispatcher, Dispatcher):
        dispatcher = checkins.build_dispatcher(application, ctx)
        application.bot_data[checkins.DISPATCHER_KEY] = dispatcher
        if application.job_queue is not None:
            checkins.schedule_wakeups(application.job_queue, checkins.WAKE_INTERVAL, "alert-dispatcher")
    staff = Staff(ctx, dispatcher)
    staff.register(application)
    application.bot_data[STAFF_KEY] = staff
    ctx.commands.extend(BotCommand(c, ctx.renderer.text(f"commands.{c}") or c) for c in ("human", "done"))
    return staff
