"""The clinic's side: staff commands (/enroll, /patients, /alerts, /unanswered, /stats) and the alert buttons.
Every staff action checks the sender's numeric user id against AFTERCARE_STAFF_IDS (default: nobody)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlite_utils import Database

from bot.core.checkins import zone
from bot.services import buttons
from bot.services.alerts import AckStatus, Alerts
from bot.services.base import Deps
from bot.services.enrollment import NAME_LIMIT, Enrollment
from bot.services.handoffs import Handoffs
from bot.services.outcome import NOTHING, Action, Button, Message, Outcome, split
from bot.services.queue import enqueue, fresh_origin, handle_update
from bot.services.reports import Reports
from bot.services.views import DateStatus
from bot.services.wording import Wording
from bot.storage import invites, patients, staff_events, transaction
from bot.storage.handoffs import OpenedBy
from bot.storage.staff_events import NoticeKind
from bot.storage.stamps import parse_iso, seconds

log = logging.getLogger(__name__)

UNANSWERED_DAYS = 30
_PATIENT_NUMBER = re.compile(r"#([0-9]{1,15})")  # ASCII digits only, like the numbers on buttons


@dataclass(frozen=True)
class StaffCommand:
    """A staff command as the adapter read it."""

    update_id: int
    chat_id: int
    user_id: int | None
    name: str
    args: tuple[str, ...] = ()
    bot_username: str | None = None


class Staff:
    """Staff use cases; each call is one transaction."""

    def __init__(
        self,
        deps: Deps,
        wording: Wording,
        alerts: Alerts,
        handoffs: Handoffs,
        enrollment: Enrollment,
        reports: Reports,
    ) -> None:
        self.deps = deps
        self.wording = wording
        self.alerts = alerts
        self.handoffs = handoffs
        self.enrollment = enrollment
        self.reports = reports

    def is_staff(self, user_id: int | None) -> bool:
        """The sender is on the staff list (numeric ids only; usernames can change hands)."""
        return user_id is not None and user_id in self.deps.config.staff_ids

    async def chat_id(self, update_id: int, chat_id: int) -> Outcome:
        """`/chatid` in a group: its id, to set as AFTERCARE_STAFF_CHAT_ID (anyone there may ask)."""

        def reply() -> Outcome:
            known = chat_id == self.deps.config.staff_chat_id
            log.info("/chatid asked in the group %d%s", chat_id, " (the staff chat)" if known else "")
            key = "chat_id_already" if known else "chat_id_is"
            return Outcome((Message(chat_id, self.wording.staff(key, number=chat_id)),))

        return await self.deps.store.run(lambda db: handle_update(db, self.deps.now(), update_id, reply))

    async def command(self, command: StaffCommand) -> Outcome:
        """One staff command."""
        return await self.deps.store.run(self._command, command)

    def _command(self, db: Database, command: StaffCommand) -> Outcome:
        def work() -> Outcome:
            if self.is_staff(command.user_id):
                return Outcome(tuple(self._run(db, command)))
            # The ordinary reply to an unknown command: no hint that staff commands exist.
            return Outcome(
                (Message(command.chat_id, self.wording.text("help")),) if command.chat_id > 0 else ()
            )

        return handle_update(db, self.deps.now(), command.update_id, work)

    def _run(self, db: Database, command: StaffCommand) -> list[Message]:
        chat = command.chat_id
        if command.name == "enroll":
            return self._enroll(db, command)
        if command.name == "patients":
            name = " ".join(command.args)[:NAME_LIMIT].strip() or None
            return [Message(chat, self.wording.patients(self.reports.patients(db, name), name))]
        if command.name == "unanswered":
            groups = self.reports.unanswered(db, UNANSWERED_DAYS)
            return [Message(chat, self.wording.unanswered(groups, UNANSWERED_DAYS))]
        if command.name == "stats":
            return [Message(chat, self.wording.stats(self.reports.stats(db)))]
        if command.name == "alerts":
            return [self._alerts(db, chat)]
        return [Message(chat, self.wording.text("help"))]

    def _alerts(self, db: Database, chat: int) -> Message:
        """/alerts: open alerts with their buttons, and notices (a patient blocked the bot, a message that
        may not have arrived) listed once."""
        found = self.alerts.open_alerts(db)
        notices = staff_events.unshown(db)
        lines = [self._notice_line(db, n) for n in notices]
        staff_events.mark_shown(db, [n.id for n in notices], self.deps.now())
        text, keyboard = self.wording.open_alerts(found, lines, self.deps.now())
        return Message(chat, text, keyboard)

    def _notice_line(self, db: Database, notice: staff_events.Notice) -> str:
        if notice.kind is NoticeKind.FLOOD:
            started = datetime.fromisoformat(notice.created_at).astimezone(zone(self.deps.config.timezone))
            since = started.strftime("%H:%M")
            return "• " + self.wording.staff("notice_flood", count=notice.count, since=since)
        patient = patients.get_patient_by_id(db, notice.patient_id) if notice.patient_id is not None else None
        name = self.wording.name(patient.name if patient else None, patient.id if patient else None)
        key = "notice_unreachable" if notice.kind is NoticeKind.UNREACHABLE else "notice_uncertain"
        return "• " + self.wording.staff(key, name=name)

    # -- /enroll -------------------------------------------------------------------------------------

    def _enroll(self, db: Database, command: StaffCommand) -> list[Message]:
        """`/enroll YYYY-MM-DD [name]`: a signed single-use link and its QR code; when the clinic has several
        procedures (or kinds of one), buttons to choose first. `/enroll YYYY-MM-DD #N`: the same buttons, then
        the treatment is added to patient N (re-treated: one conversation, no link)."""
        chat = command.chat_id
        try:
            treated_on = date.fromisoformat(command.args[0]) if command.args else None
        except ValueError:
            treated_on = None
        if treated_on is None:
            return [Message(chat, self.wording.staff("enroll_usage"))]
        if self.enrollment.check_date(treated_on).status is not DateStatus.OK:
            return [Message(chat, self.wording.staff("enroll_refused"))]
        if command.args[1:2] and command.args[1].startswith("#"):
            return self._retreat(db, chat, treated_on, command.args[1:])
        username = command.bot_username or self.deps.config.bot_username
        if not username:
            return [Message(chat, self.wording.staff("enroll_no_username"))]
        name = " ".join(command.args[1:])[:NAME_LIMIT] or None
        first = self.deps.engine.procedures[0]
        invitation = self.enrollment.create_invite(
            db, username, first, treated_on, self.deps.config.timezone, name
        )
        if not self._several_choices():
            return self.link(db, chat, invitation.invite_id, username)
        return [Message(chat, self.wording.staff("enroll_choose"), self._choices(invitation.invite_id))]

    def _retreat(self, db: Database, chat: int, treated_on: date, args: tuple[str, ...]) -> list[Message]:
        """`/enroll YYYY-MM-DD #N`: the choice of the treatment to add to patient N (the number /patients
        shows), or the treatment itself when the clinic has just one procedure of one kind."""
        found = _PATIENT_NUMBER.fullmatch(args[0])
        if found is None or len(args) > 1:
            return [Message(chat, self.wording.staff("enroll_usage"))]
        number = int(found.group(1))
        first = self.deps.engine.procedures[0]
        choice_id = self.enrollment.prepare_treatment(db, number, first, treated_on)
        if choice_id is None:
            return [Message(chat, self.wording.staff("retreat_unknown", number=number))]
        if not self._several_choices():
            invite = invites.get(db, choice_id)
            assert invite is not None  # made just above, in this transaction
            return self._add_treatment(db, chat, None, invite, first, None)
        text = self.wording.staff("retreat_choose", number=number)
        return [Message(chat, text, self._choices(choice_id))]

    def _several_choices(self) -> bool:
        """Whether /enroll asks which procedure (or kind of it) with buttons."""
        kb = self.deps.engine.kb
        return len(kb.procedures) > 1 or bool(kb.procedures[self.deps.engine.procedures[0]].variants)

    def _choices(self, invite_id: int, procedure: str | None = None) -> tuple[tuple[Button, ...], ...]:
        """One button per procedure, or per kind of `procedure`."""
        kb = self.deps.engine.kb
        if procedure is None:
            return tuple(
                (Button(p.title, buttons.encode(buttons.EnrollChoice(invite_id, p.id, None))),)
                for p in sorted(kb.procedures.values(), key=lambda p: p.title)
            )
        return tuple(
            (Button(v.title, buttons.encode(buttons.EnrollChoice(invite_id, procedure, v.id))),)
            for v in kb.procedures[procedure].variants
        )

    def choose(
        self,
        db: Database,
        chat: int,
        message_id: int | None,
        press: buttons.EnrollChoice,
        username: str | None,
    ) -> list[Message]:
        """A procedure (and kind) chosen for a prepared link, or for a treatment added to a patient."""
        known = self.deps.engine.kb.procedures.get(press.procedure)
        invite = invites.get(db, press.invite_id)
        edit = Action.EDIT if message_id is not None else Action.SEND
        stale = [Message(chat, self.wording.text("stale_button"), action=edit, message_id=message_id)]
        if known is None or invite is None or invite.used_at is not None:
            return stale
        adding = invite.for_patient is not None
        if adding and parse_iso(invite.expires_at) <= self.deps.now():
            return stale
        if not adding and not username:
            return stale
        if press.variant is None and known.variants:
            keyboard = self._choices(invite.id, known.id)
            text = (
                self.wording.staff("retreat_choose", number=invite.for_patient)
                if adding
                else self.wording.staff("enroll_choose")
            )
            return [Message(chat, text, keyboard, edit, message_id=message_id)]
        if press.variant is not None and press.variant not in {v.id for v in known.variants}:
            return stale
        if adding:
            return self._add_treatment(db, chat, message_id, invite, known.id, press.variant)
        assert username is not None
        invites.choose(db, invite.id, known.id, press.variant)
        return self.link(db, chat, invite.id, username, message_id)

    def _add_treatment(
        self,
        db: Database,
        chat: int,
        message_id: int | None,
        invite: invites.Invite,
        procedure: str,
        variant: str | None,
    ) -> list[Message]:
        """The last choice for a patient already enrolled: the treatment is added (they are told in their
        chat; the sender plans its check-ins), and staff get one line naming the patient by number."""
        edit = Action.EDIT if message_id is not None else Action.SEND
        number = invite.for_patient
        added = None
        if number is not None and invites.use(db, invite.id, seconds(self.deps.now())):
            added = self.enrollment.add_treatment(db, number, procedure, invite.treated_on, variant)
        if added is None:
            return [Message(chat, self.wording.text("stale_button"), action=edit, message_id=message_id)]
        text = self.wording.staff(
            "retreat_done",
            number=number,
            procedure=self._title(procedure, variant),
            date=invite.treated_on.isoformat(),
        )
        return [Message(chat, text, action=edit, message_id=message_id)]

    def _title(self, procedure_id: str, variant: str | None) -> str:
        """The procedure's name, and the kind chosen in brackets, if any."""
        procedure = self.deps.engine.procedure(procedure_id, variant)
        title = procedure.name
        if variant is not None:
            title += f" ({next(v.title for v in procedure.variants if v.id == variant)})"
        return title

    def link(
        self, db: Database, chat: int, invite_id: int, username: str, message_id: int | None = None
    ) -> list[Message]:
        """The answer to /enroll: the link (in place of the choice buttons) and its QR code as a photo."""
        invite = invites.get(db, invite_id)
        if invite is None:
            return [Message(chat, self.wording.text("stale_button"))]
        invitation = self.enrollment.invitation(
            invite.id, username, datetime.fromisoformat(invite.expires_at)
        )
        title = self._title(invite.procedure, invite.variant)
        text = self.wording.enrolled(invitation, invite.name, title, invite.treated_on)
        first = (
            Message(chat, text)
            if message_id is None
            else Message(chat, text, action=Action.EDIT, message_id=message_id)
        )
        return [first, Message(chat, action=Action.PHOTO, photo_of=invitation.url)]

    async def knowledge_refused(self, problems: list[str]) -> Outcome:
        """A knowledge-base edit was refused: tell the staff chat what is wrong (the last good one stays)."""
        staff = self.deps.config.staff_chat_id
        if staff is None:
            return NOTHING
        messages = tuple(Message(staff, chunk) for chunk in split(self.wording.kb_refused(problems)))

        def queue(db: Database) -> None:
            with transaction(db):
                enqueue(db, messages, self.deps.now(), fresh_origin())

        await self.deps.store.run(queue)
        return Outcome(messages)

    # -- alert buttons ---------------------------------------------------------------------------------

    def alert_press(
        self,
        db: Database,
        chat: int,
        user_id: int | None,
        first_name: str | None,
        message_id: int | None,
        press: buttons.AlertAction,
    ) -> tuple[list[Message], str | None]:
        """ "I'll handle it" and "Open chat"; from anyone but staff, a stale-button note and nothing else."""
        stale = self.wording.text("stale_button")[:200]
        in_place = chat in (self.deps.config.staff_chat_id, user_id)
        if not self.is_staff(user_id) or not in_place or user_id is None:
            return [], stale
        ack = self.alerts.acknowledge(db, press.alert_id, user_id)
        if ack.alert is None:
            return [], stale
        toast = None
        if not press.open_chat:
            toast = self.wording.staff("ack_done" if ack.status is AckStatus.DONE else "ack_already")
        messages: list[Message] = []
        if ack.status is AckStatus.DONE and message_id is not None:
            text, keyboard = self.wording.taken(ack.alert, first_name or "")
            messages.append(Message(chat, text, keyboard, Action.EDIT, message_id=message_id))
        if press.open_chat:
            messages += self.handoffs.open(db, ack.alert.chat_id, OpenedBy.STAFF, None) or []
        return messages, toast
