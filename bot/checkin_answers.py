"""What happens when a patient presses a check-in button: one stored response per check-in, then a reply.

"A bit worried" asks what is bothering them (their next message is answered like any question); "Something's
wrong" records an escalation for staff and asks the warning-sign questions one by one, each "yes" raising the
escalation to that question's tier and replying with the knowledge base's text for the tier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.core.model import KnowledgeBase, Tier
from bot.core.text import fill
from bot.services.messaging import Button
from bot.storage import Store, checkin_log, outbox
from bot.storage.outbox import CHECKIN

PREFIX = "ci:"
SOMETHING_WRONG = "something_wrong"
BIT_WORRIED = "bit_worried"


@dataclass(frozen=True)
class Press:
    """A decoded button press: the check-in, and either an option or a warning question's answer."""

    outbox_id: int
    option: str | None = None
    question: int | None = None
    yes: bool = False


def encode_option(outbox_id: int, option: str) -> str:
    """Callback data of an answer button (at most 64 bytes)."""
    return f"{PREFIX}{outbox_id}:{option}"


def encode_question(outbox_id: int, question: int, yes: bool) -> str:
    """Callback data of a warning-question button."""
    return f"{PREFIX}{outbox_id}:w{question}:{'y' if yes else 'n'}"


def decode(data: str) -> Press | None:
    """The press encoded in callback data, or None when it is not one of ours or malformed."""
    if not data.startswith(PREFIX):
        return None
    parts = data[len(PREFIX) :].split(":")
    if not parts[0].isdigit():
        return None
    outbox_id = int(parts[0])
    if len(parts) == 2 and parts[1]:
        return Press(outbox_id, option=parts[1])
    if len(parts) == 3 and parts[1][:1] == "w" and parts[1][1:].isdigit() and parts[2] in ("y", "n"):
        return Press(outbox_id, question=int(parts[1][1:]), yes=parts[2] == "y")
    return None


@dataclass(frozen=True)
class Reply:
    """What to tell the patient: a message (with optional buttons), and a short note on the button."""

    text: str | None
    buttons: tuple[tuple[Button, ...], ...] = ()
    toast: str | None = None
    close_keyboard: bool = False


@dataclass(frozen=True)
class WarningQuestion:
    """One warning-sign question asked after "Something's wrong"."""

    text: str
    tier: Tier


def warning_questions(kb: KnowledgeBase) -> list[WarningQuestion]:
    """The questions in `messages.yaml` under `checkins.warning_questions`."""
    node = kb.messages.get("checkins")
    items = node.get("warning_questions") if isinstance(node, dict) else None
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str) and item.get("tier") in set(Tier):
            found.append(WarningQuestion(item["text"], Tier(item["tier"])))
    return found


class CheckinAnswers:
    """Records button presses on check-ins and decides the reply."""

    def __init__(self, store: Store, kb: KnowledgeBase, values: Mapping[str, object]) -> None:
        self.store = store
        self.kb = kb
        self.values = dict(values)
        # Out of the clinic's hours, what to do instead (set by the staff feature module; None: no note).
        self.closed_note: Callable[[Tier, datetime], str | None] | None = None

    def _text(self, key: str) -> str:
        return fill(self.kb.message(f"checkins.{key}"), self.values)

    async def press(self, chat_id: int, data: str, now: datetime) -> Reply:
        """Handle the callback data `data` pressed in `chat_id`."""
        press = decode(data)
        row = await self.store.run(outbox.get, press.outbox_id) if press else None
        if press is None or row is None or row.kind != CHECKIN or row.chat_id != chat_id:
            return Reply(None, toast=self._text("expired"), close_keyboard=True)
        procedure = self.kb.procedures.get(row.procedure or "")
        if procedure is None:
            return Reply(None, toast=self._text("expired"), close_keyboard=True)
        if press.option is not None:
            if press.option not in {o.id for o in procedure.checkins.options}:
                return Reply(None, toast=self._text("expired"))
            return await self._option(row, press.option, now)
        assert press.question is not None
        return await self._warning_answer(row, press.question, press.yes, now)

    async def _option(self, row: outbox.OutboxRow, option: str, now: datetime) -> Reply:
        _, new = await self.store.run(
            checkin_log.record_response, row.id, row.patient_id, row.treatment_id, row.step_day, option, now
        )
        if not new:
            return Reply(None, toast=self._text("already_answered"), close_keyboard=True)
        text = self._text(f"replies.{option}")
        if option != SOMETHING_WRONG:
            return Reply(text or None, close_keyboard=True)
        await self._escalate(row, now, Tier.SAME_DAY, "checkin_something_wrong")
        return self._ask(row.id, 0, text, close_keyboard=True)

    async def _escalate(self, row: outbox.OutboxRow, now: datetime, tier: Tier, reason: str) -> None:
        """Store an escalation of this check-in for staff; a later, more urgent answer raises its tier."""
        await self.store.run(
            checkin_log.record_checkin_event, "escalation", f"checkin:{row.id}", row, now, tier.value, reason
        )

    def _ask(self, outbox_id: int, index: int, lead: str | None, close_keyboard: bool = False) -> Reply:
        questions = warning_questions(self.kb)
        if index >= len(questions):
            return Reply(self._text("warning_none"), close_keyboard=close_keyboard)
        text = "\n\n".join(t for t in (lead, questions[index].text) if t)
        buttons = (
            (
                Button(self._text("warning_yes"), encode_question(outbox_id, index, True)),
                Button(self._text("warning_no"), encode_question(outbox_id, index, False)),
            ),
        )
        return Reply(text, buttons=buttons, close_keyboard=close_keyboard)

    async def _warning_answer(self, row: outbox.OutboxRow, index: int, yes: bool, now: datetime) -> Reply:
        questions = warning_questions(self.kb)
        response = await self.store.run(checkin_log.response_for, row.id)
        if response is None or response.option != SOMETHING_WRONG or index >= len(questions):
            return Reply(None, toast=self._text("expired"), close_keyboard=True)
        new = await self.store.run(
            checkin_log.record_followup, response.id, index, "yes" if yes else "no", now
        )
        if not new:
            return Reply(None, toast=self._text("already_answered"), close_keyboard=True)
        if not yes:
            return self._ask(row.id, index + 1, None, close_keyboard=True)
        tier = questions[index].tier
        await self._escalate(row, now, tier, f"checkin_warning_question_{index}")
        procedure = self.kb.procedures[row.procedure or ""]
        text = fill(procedure.tier_replies[tier], self.values)
        note = self.closed_note(tier, now) if self.closed_note is not None else None
        return Reply("\n\n".join(t for t in (text, note) if t), close_keyboard=True)
