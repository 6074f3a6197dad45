"""All Telegram markup: message texts from knowledge/messages.yaml, inline keyboards, callback data.

Texts are plain (no parse mode), so nothing a patient or the knowledge base writes needs escaping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.answer import Clinic
from bot.core.model import KnowledgeBase
from bot.core.recovery import Milestone, when_text
from bot.core.text import fill
from bot.services.messaging import Button
from bot.services.views import Forgotten, PatientView, PlanView, Reply, TodayView

MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
COMMANDS = ("start", "help", "today", "plan", "mute", "unmute", "forget", "privacy")

# Callback data: "<prefix>:<fields separated by ':'>". Feature modules pick other prefixes (check-ins: "c").
PICK_PROCEDURE = "p"  # p:<procedure>
PICK_DATE = "d"  # d:<procedure>:<days ago>
PICK_ZONE = "z"  # z:<zone index>:<procedure>:<YYYYMMDD | r<days ago>>
DAYS_AGO = "r"  # in a PICK_ZONE: "today" or "yesterday" pressed, counted in the chosen zone
SUGGESTION = "s"  # s:<entry id>
FORGET = "f"  # f:yes | f:no
PERSON = "hp"  # hp:open, "Talk to a person" (handled by the staff feature module, bot.telegram.staff)
PERSON_TOPIC = "human"  # the conversational entry "talk to a person"
OWN_PREFIXES = (PICK_PROCEDURE, PICK_DATE, PICK_ZONE, SUGGESTION, FORGET)
OWN_PATTERN = rf"^({'|'.join(OWN_PREFIXES)}):"


@dataclass(frozen=True)
class Outgoing:
    """One message to send (or to edit into): plain text and optional inline keyboard."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def callback(prefix: str, *fields: object) -> str:
    """Callback data for a button; ValueError beyond Telegram's 64 bytes."""
    data = ":".join([prefix, *(str(f) for f in fields)])
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def parse_callback(data: str | None) -> tuple[str, list[str]]:
    """The prefix and fields of callback data ("", [] when empty)."""
    if not data:
        return "", []
    prefix, _, rest = data.partition(":")
    return prefix, rest.split(":") if rest else []


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """Inline keyboard from plain buttons (None when there are none)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )


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


class Renderer:
    """Builds every message the bot sends, from the knowledge base's wording."""

    def __init__(
        self,
        kb: KnowledgeBase,
        clinic: Clinic,
        retention_days: int = 30,
        hours: str = "",
        patient_days: int = 180,
    ) -> None:
        self.kb = kb  # replaced when the knowledge base is reloaded
        self.clinic = clinic
        self.retention_days = retention_days
        self.patient_days = patient_days  # a patient is deleted this long after their last treatment
        self.hours = hours  # the clinic's opening hours as configured, for out-of-hours replies
        self.offer_person = False  # set by the staff module when a staff chat can take a handoff

    def text(self, key: str, **values: object) -> str:
        """The text `bot.<key>` with the clinic's details and `values` filled in."""
        template = self.kb.message(f"bot.{key}") or self.kb.message(key)
        return fill(template, {**self.clinic.with_defaults(self.kb).values(), **values})

    def fallback(self) -> str:
        """The polite reply when something went wrong."""
        return fill(
            self.kb.message("errors.fallback"), self.clinic.with_defaults(self.kb).values()
        )  # required by `kb check`

    def commands(self) -> list[BotCommand]:
        """The command menu (setMyCommands)."""
        return [BotCommand(c, self.text(f"commands.{c}") or c) for c in COMMANDS]

    # -- greetings and set-up ----------------------------------------------------------------------

    def where(self, patient: PatientView) -> str:
        """ "You are on day 2 after your microneedling"."""
        values = {"day": patient.day, "procedure": patient.procedure_name}
        return self.text("day_zero" if patient.day == 0 else "day_n", **values)

    def greeting(self, patient: PatientView) -> Outgoing:
        """The welcome once enrolled: hello, the day, what to do."""
        hello = self.text("hello_named", name=patient.name) if patient.name else self.text("hello")
        parts = {"title": hello, "where": self.where(patient), "text": self.text("ask_away")}
        # The order of the parts is the knowledge base's (bot.greeting); the layout below only stands in for
        # a messages.yaml written before that text existed.
        template = self.kb.message("bot.greeting") or "{title} {where}\n\n{text}"
        return Outgoing(fill(template, parts))

    def ask_procedure(self) -> Outgoing:
        """Which procedure? One button per procedure."""
        rows = [
            [Button(p.title, callback(PICK_PROCEDURE, p.id))]
            for p in sorted(self.kb.procedures.values(), key=lambda p: p.title)
        ]
        return Outgoing(self.text("start_ask_procedure"), keyboard(rows))

    def ask_date(self, procedure_id: str) -> Outgoing:
        """When was it done? Today, yesterday, 2 days ago, or type a date."""
        name = self.kb.procedures[procedure_id].name
        labels = ("today", "yesterday", "two_days_ago")
        row = [
            Button(self.text(f"buttons.{label}"), callback(PICK_DATE, procedure_id, n))
            for n, label in enumerate(labels)
        ]
        return Outgoing(self.text("start_ask_date", procedure=name), keyboard([row]))

    def ask_timezone(self, procedure_id: str, when: date | int, zones: Sequence[str]) -> Outgoing:
        """Which time zone? One button per zone the clinic allows (`when`: a date or a number of days ago)."""
        stamp = f"{DAYS_AGO}{when}" if isinstance(when, int) else when.strftime("%Y%m%d")
        rows = [
            [Button(zone.replace("_", " "), callback(PICK_ZONE, i, procedure_id, stamp))]
            for i, zone in enumerate(zones)
        ]
        return Outgoing(self.text("start_ask_timezone"), keyboard(rows))

    # -- answers -----------------------------------------------------------------------------------

    def reply(self, reply: Reply) -> list[Outgoing]:
        """The answer: the safety reply first and on its own, then the rest, suggestions as buttons."""
        answer = reply.answer
        out: list[Outgoing] = []
        if answer.safety:
            out.extend(Outgoing(chunk) for chunk in split(answer.safety))
            if answer.urgency is not None and not reply.clinic_open:
                out.append(Outgoing(self.text(f"closed_now.{answer.urgency.value}", hours=self.hours)))
        body = [p for p in answer.sections if p]
        if reply.patient is None and not answer.red_flag:
            body.append(self.text("not_enrolled"))
        rows = [[Button(s.title, callback(SUGGESTION, s.id))] for s in answer.suggestions]
        if self.offer_person and not answer.red_flag and (answer.abstained or answer.topic == PERSON_TOPIC):
            rows.append([Button(self.text("buttons.person"), callback(PERSON, "open"))])
        chunks = split("\n\n".join(body))
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            out.append(Outgoing(chunk, keyboard(rows) if last else None))
        if reply.patient is None and answer.red_flag:
            out.append(Outgoing(self.text("not_enrolled")))
        return out or [Outgoing(self.fallback())]

    # -- /today and /plan --------------------------------------------------------------------------

    def _list(self, items: Sequence[str]) -> str:
        unique = list(dict.fromkeys(items))
        if len(unique) <= 1:
            return "".join(unique)
        return f"{', '.join(unique[:-1])} {self.text('and')} {unique[-1]}"

    def today(self, view: TodayView) -> Outgoing:
        """Where the patient is: what is fine now, what is on hold until when."""
        lines = [self.where(view.patient)]
        if view.allowed:
            lines.append(self.text("today_fine", subjects=self._list([m.subject for m in view.allowed])))
        if view.on_hold:
            lines.append("")
            lines.append(self.text("today_on_hold"))
            for m in _first_per_subject(view.on_hold):
                when = when_text(self.kb, m.day, view.patient.treated_on)
                lines.append("• " + self.text("today_on_hold_item", subject=m.subject, when=when))
        else:
            lines.append(self.text("today_all_clear"))
        return Outgoing("\n".join(lines))

    def plan(self, view: PlanView) -> Outgoing:
        """The whole timeline, one line per day on which something comes back."""
        lines = [self.text("plan_heading", procedure=view.patient.procedure_name), ""]
        for day, found in view.days:
            when = when_text(self.kb, day, view.patient.treated_on)
            marker = "▶ " if day == view.patient.day else "• "
            lines.append(
                marker + self.text("plan_line", when=when, subjects=self._list([m.subject for m in found]))
            )
        lines.append("")
        lines.append(self.text("plan_here", day=view.patient.day))
        return Outgoing("\n".join(lines))

    # -- privacy -----------------------------------------------------------------------------------

    def privacy(self) -> Outgoing:
        """What is stored, for how long, how to delete it."""
        return Outgoing(self.text("privacy", days=self.retention_days, patient_days=self.patient_days))

    def forget_confirm(self) -> Outgoing:
        """Are you sure? Two buttons."""
        row = [
            Button(self.text("buttons.forget_yes"), callback(FORGET, "yes")),
            Button(self.text("buttons.forget_no"), callback(FORGET, "no")),
        ]
        return Outgoing(self.text("forget_confirm"), keyboard([row]))

    def forgotten(self, report: Forgotten) -> Outgoing:
        """What /forget deleted."""
        if not report.anything:
            return Outgoing(self.text("forget_nothing"))
        lines = [self.text("forget_done")]
        other = 0
        for table, count in sorted(report.counts.items(), key=lambda kv: _TABLE_ORDER.get(kv[0], 99)):
            label = self.kb.message(f"bot.forget_items.{table}")
            if label:
                lines.append("• " + fill(label, {"count": count}))
            else:
                other += count
        if other:
            lines.append("• " + self.text("forget_items.other", count=other))
        lines.append(self.text("forget_done_after"))
        return Outgoing("\n".join(lines))


_TABLE_ORDER = {"patients": 0, "treatments": 1, "invites": 2, "question_log": 3}


def _first_per_subject(items: Sequence[Milestone]) -> list[Milestone]:
    seen: set[str] = set()
    found: list[Milestone] = []
    for m in items:
        if m.subject not in seen:
            seen.add(m.subject)
            found.append(m)
    return found
