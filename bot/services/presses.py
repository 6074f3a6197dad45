"""A pressed button: decoded by the one codec and handed to its use case, in one transaction with the
update's claim. Data the codec did not make gets a kind "that button has expired" note and changes nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlite_utils import Database

from bot.services import buttons
from bot.services.base import Deps
from bot.services.checkins import Checkins
from bot.services.conversation import Conversation
from bot.services.enrollment import Enrollment
from bot.services.handoffs import HandoffDoor
from bot.services.outcome import Message, Outcome, clear_buttons
from bot.services.privacy import Privacy
from bot.services.queue import handle_update
from bot.services.staff import Staff
from bot.services.wording import Wording

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pressed:
    """A button press as the adapter read it."""

    update_id: int
    chat_id: int
    private: bool
    user_id: int | None
    first_name: str | None
    message_id: int | None
    data: str | None
    bot_username: str | None = None


class Presses:
    """Routes every button press to its use case."""

    def __init__(
        self,
        deps: Deps,
        wording: Wording,
        conversation: Conversation,
        enrollment: Enrollment,
        privacy: Privacy,
        handoffs: HandoffDoor,
        checkins: Checkins,
        staff: Staff,
    ) -> None:
        self.deps = deps
        self.wording = wording
        self.conversation = conversation
        self.enrollment = enrollment
        self.privacy = privacy
        self.handoffs = handoffs
        self.checkins = checkins
        self.staff = staff

    async def press(self, pressed: Pressed) -> Outcome:
        """Handle one press; the outcome's toast is the note on the button (None: just stop the spinner)."""
        outcome, forgot = await self.deps.store.run(self._press, pressed)
        if forgot:
            await self.deps.store.run(self.privacy.after_forget)
        return outcome

    def _press(self, db: Database, pressed: Pressed) -> tuple[Outcome, bool]:
        press = buttons.decode(pressed.data)

        def work() -> Outcome:
            if press is None:
                log.debug("button data not made by this bot, ignored")
                return Outcome(toast=self.wording.text("stale_button")[:200])
            messages, toast = self._route(db, pressed, press)
            return Outcome(tuple(messages), toast)

        outcome = handle_update(db, self.deps.now(), pressed.update_id, work)
        return outcome, isinstance(press, buttons.Forget) and press.confirmed

    def _route(self, db: Database, p: Pressed, press: buttons.Press) -> tuple[list[Message], str | None]:
        chat, message = p.chat_id, p.message_id
        if isinstance(press, buttons.AlertAction):
            return self.staff.alert_press(db, chat, p.user_id, p.first_name, message, press)
        if isinstance(press, buttons.EnrollChoice):
            if not self.staff.is_staff(p.user_id):
                return [], self.wording.text("stale_button")[:200]
            return self.staff.choose(db, chat, message, press, p.bot_username), None
        if not p.private:
            return [], None  # patients' buttons belong in their own chat
        if isinstance(press, buttons.PickProcedure):
            return [self.enrollment.pick_procedure(db, chat, message, press.procedure)], None
        if isinstance(press, buttons.PickVariant):
            return [self.enrollment.pick_variant(db, chat, message, press.procedure, press.variant)], None
        if isinstance(press, buttons.PickDate):
            return [
                self.enrollment.chosen_date(db, chat, p.user_id, message, press.procedure, press.days_ago)
            ], None
        if isinstance(press, buttons.PickZone):
            step = self.enrollment.pick_zone(
                db, chat, p.user_id, message, press.procedure, press.zone, press.treated_on, press.days_ago
            )
            return [step], None
        if isinstance(press, buttons.Suggestion):
            return self.conversation.pick(db, chat, message, press.entry), None
        if isinstance(press, buttons.Forget):
            return self.privacy.confirm_forget(db, chat, message, press.confirmed), None
        if isinstance(press, buttons.Person):
            cleared = clear_buttons(chat, message)
            return [*cleared, *self.handoffs.ask(db, chat, p.first_name)], None
        if isinstance(press, buttons.CheckinOption):
            return self.checkins.press_option(db, chat, message, press)
        return self.checkins.press_warning(db, chat, message, press)
