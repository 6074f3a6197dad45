"""Every text the bot writes to patients and staff, from the knowledge base's wording (`messages.yaml`), as
plain `Message`s with buttons; the Telegram adapter only turns buttons into markup.

Texts are plain (no parse mode), so nothing a patient or the knowledge base writes needs escaping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from bot.config import Config
from bot.core.answer import Answer
from bot.core.grouping import Group
from bot.core.model import KnowledgeBase, Tier
from bot.core.recovery import Milestone, milestones, status_on, when_text
from bot.core.text import fill
from bot.services import buttons
from bot.services.knowledge import Knowledge
from bot.services.outcome import Button, Keyboard, Message, split
from bot.services.reports import PatientLine, Stats
from bot.services.views import Forgotten, Invitation, PatientView, PlanView, Reply, TodayView
from bot.storage.outbox import Priority

PATIENT_COMMANDS = ("start", "help", "today", "plan", "mute", "unmute", "forget", "privacy", "human", "done")
STAFF_COMMANDS = ("enroll", "patients", "alerts", "unanswered", "stats", "done")
PERSON_TOPIC = "human"
"""The conversational entry "talk to a person": like a hand-over, it offers the "Talk to a person" button."""
MAX_LINES = 40
"""At most this many alerts in /alerts: two buttons each stays within Telegram's 100 buttons a message."""
NAME_IN_BUTTON = 32
_TABLE_ORDER = {"patients": 0, "treatments": 1, "invites": 2, "question_log": 3}


def safety_priority(tier: Tier | None) -> Priority:
    """The send priority of a safety reply or alert of `tier`: crisis and emergency first, then same day."""
    if tier is None:
        return Priority.REPLY
    if tier.rank <= Tier.EMERGENCY.rank:
        return Priority.TOP
    return Priority.URGENT if tier.is_red_flag else Priority.REPLY


@dataclass(frozen=True)
class AlertView:
    """Everything an alert message shows; plain values."""

    alert_id: int
    chat_id: int
    name: str | None
    patient_number: int | None
    procedure: str | None
    day: int | None
    tier: Tier
    from_checkin: bool
    words: str | None = None
    answers: tuple[tuple[int | None, str], ...] = ()
    repeat: bool = False


class Wording:
    """Builds every message from the knowledge base in use and the clinic's settings."""

    def __init__(self, knowledge: Knowledge, config: Config) -> None:
        self.knowledge = knowledge
        self.config = config

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base in use (it may be reloaded between two messages)."""
        return self.knowledge.engine.kb

    def text(self, key: str, **values: object) -> str:
        """The text `bot.<key>` (or any dotted key) with the clinic's details and `values` filled in."""
        template = self.kb.message(f"bot.{key}") or self.kb.message(key)
        clinic = self.knowledge.engine.clinic.values()
        return fill(template, {**clinic, **values})

    def staff(self, key: str, **values: object) -> str:
        """The text `staff.<key>`."""
        return self.text(f"staff.{key}", **values)

    def fallback(self) -> str:
        """The polite reply when something went wrong."""
        return self.text("errors.fallback")

    def commands(self, names: Sequence[str] = PATIENT_COMMANDS, staff: bool = False) -> list[tuple[str, str]]:
        """A command menu: (command, description) pairs."""
        prefix = "staff.commands" if staff else "bot.commands"
        return [(c, self.text(f"{prefix}.{c}") or c) for c in names]

    # -- patients: greetings and set-up ------------------------------------------------------------

    def where(self, patient: PatientView) -> str:
        """ "You are on day 2 after your <procedure>"."""
        values = {"day": patient.day, "procedure": patient.procedure_name}
        return self.text("day_zero" if patient.day == 0 else "day_n", **values)

    def greeting(self, patient: PatientView) -> str:
        """The welcome once enrolled: hello, the day, what to do."""
        hello = self.text("hello_named", name=patient.name) if patient.name else self.text("hello")
        parts = {"title": hello, "where": self.where(patient), "text": self.text("ask_away")}
        # The order of the parts is the knowledge base's (bot.greeting); the layout below only stands in for
        # a messages.yaml written before that text existed.
        return fill(self.kb.message("bot.greeting") or "{title} {where}\n\n{text}", parts)

    def ask_procedure(self) -> tuple[str, Keyboard]:
        """Which procedure? One button per procedure."""
        rows = tuple(
            (Button(p.title, buttons.encode(buttons.PickProcedure(p.id))),)
            for p in sorted(self.kb.procedures.values(), key=lambda p: p.title)
        )
        return self.text("start_ask_procedure"), rows

    def ask_variant(self, procedure_id: str) -> tuple[str, Keyboard]:
        """Which kind of the procedure? One button per variant, and "not sure"."""
        procedure = self.kb.procedures[procedure_id]
        rows = [
            (Button(v.title, buttons.encode(buttons.PickVariant(procedure_id, v.id))),)
            for v in procedure.variants
        ]
        rows.append(
            (Button(self.text("buttons.not_sure"), buttons.encode(buttons.PickVariant(procedure_id, None))),)
        )
        return self.text("start_ask_variant", procedure=procedure.name), tuple(rows)

    def ask_date(self, procedure_id: str) -> tuple[str, Keyboard]:
        """When was it done? Today, yesterday, 2 days ago, or type a date."""
        name = self.kb.procedures[procedure_id].name
        labels = ("today", "yesterday", "two_days_ago")
        row = tuple(
            Button(self.text(f"buttons.{label}"), buttons.encode(buttons.PickDate(procedure_id, n)))
            for n, label in enumerate(labels)
        )
        return self.text("start_ask_date", procedure=name), (row,)

    def ask_timezone(self, procedure_id: str, when: date | int, zones: Sequence[str]) -> tuple[str, Keyboard]:
        """Which time zone? One button per zone the clinic allows (`when`: a date or a number of days ago)."""
        rows = tuple(
            (
                Button(
                    zone.replace("_", " "),
                    buttons.encode(
                        buttons.PickZone(
                            i,
                            procedure_id,
                            when if isinstance(when, date) else None,
                            when if isinstance(when, int) else None,
                        )
                    ),
                ),
            )
            for i, zone in enumerate(zones)
        )
        return self.text("start_ask_timezone"), rows

    # -- answers -----------------------------------------------------------------------------------

    def reply(self, chat_id: int, reply: Reply) -> list[Message]:
        """The answer: the safety reply first and on its own (first in line), then the rest, suggestions as
        buttons."""
        answer = reply.answer
        out: list[Message] = []
        urgent = safety_priority(answer.urgency)
        if answer.safety:
            out.extend(Message(chat_id, chunk, priority=urgent) for chunk in split(answer.safety))
            if answer.urgency is not None and not reply.clinic_open:
                out.append(Message(chat_id, self.closed_note(answer.urgency), priority=urgent))
        body = [p for p in answer.sections if p]
        if reply.patient is None and not answer.red_flag:
            body.append(self.text("not_enrolled"))
        rows = [(Button(s.title, buttons.encode(buttons.Suggestion(s.id))),) for s in answer.suggestions]
        wants_person = answer.abstained or answer.hand_over or answer.topic == PERSON_TOPIC
        if reply.offer_person and not answer.red_flag and wants_person:
            rows.append((Button(self.text("buttons.person"), buttons.encode(buttons.Person())),))
        chunks = split("\n\n".join(body))
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            out.append(Message(chat_id, chunk, tuple(rows) if last else ()))
        if reply.patient is None and answer.red_flag:
            out.append(Message(chat_id, self.text("not_enrolled")))
        return out or [Message(chat_id, self.fallback())]

    def safety_only(self, chat_id: int, answer: Answer, clinic_open: bool) -> list[Message]:
        """During a handoff: the safety reply (and the out-of-hours note), nothing else."""
        if answer.urgency is None or not answer.safety:
            return []
        urgent = safety_priority(answer.urgency)
        out = [Message(chat_id, chunk, priority=urgent) for chunk in split(answer.safety)]
        if not clinic_open:
            out.append(Message(chat_id, self.closed_note(answer.urgency), priority=urgent))
        return out

    def closed_note(self, tier: Tier) -> str:
        """Out of opening hours: what to do instead, added to a warning-sign reply."""
        return self.text(f"closed_now.{tier.value}", hours=self.config.clinic_hours_text)

    # -- /today and /plan --------------------------------------------------------------------------

    def _list(self, items: Sequence[str]) -> str:
        unique = list(dict.fromkeys(items))
        if len(unique) <= 1:
            return "".join(unique)
        return f"{', '.join(unique[:-1])} {self.text('and')} {unique[-1]}"

    def status(self, patient: PatientView, command: str) -> str:
        """`/today` or `/plan` for the patient: their treatment's waits on their day of recovery."""
        procedure = self.knowledge.engine.procedure(patient.procedure_id, patient.variant, patient.holds)
        if command == "today":
            allowed, on_hold = status_on(procedure, patient.day)
            return self.today(TodayView(patient, allowed, on_hold))
        found = milestones(procedure)
        days = [(day, list(group)) for day, group in groupby(found, key=lambda m: m.day)]
        return self.plan(PlanView(patient, days))

    def today(self, view: TodayView) -> str:
        """Where the patient is: what is fine now, what is on hold until when."""
        lines = [self.where(view.patient)]
        fine = [m.subject for m in view.allowed if not m.discouraged]
        over = [m.subject for m in view.allowed if m.discouraged]
        if fine:
            lines.append(self.text("today_fine", subjects=self._list(fine)))
        if over:
            # The end of a healing break is never phrased as "fine again" (smoking, for one).
            lines.append(self.text("today_wait_over", subjects=self._list(over)))
        if view.on_hold:
            lines.append("")
            lines.append(self.text("today_on_hold"))
            for m in _first_per_subject(view.on_hold):
                when = when_text(self.kb, m.day, view.patient.treated_on)
                held = self.text("held_note") if m.held else ""
                lines.append("• " + self.text("today_on_hold_item", subject=m.subject, when=when) + held)
        else:
            lines.append(self.text("today_all_clear"))
        return "\n".join(lines)

    def plan(self, view: PlanView) -> str:
        """The whole timeline, one line per day on which something comes back."""
        lines = [self.text("plan_heading", procedure=view.patient.procedure_name), ""]
        for day, found in view.days:
            when = when_text(self.kb, day, view.patient.treated_on)
            marker = "▶ " if day == view.patient.day else "• "
            back = [m.subject for m in found if not m.discouraged]
            over = [m.subject for m in found if m.discouraged]
            held = self.text("held_note") if any(m.held for m in found) else ""
            if back:
                lines.append(marker + self.text("plan_line", when=when, subjects=self._list(back)) + held)
            if over:
                lines.append(marker + self.text("plan_wait_over", when=when, subjects=self._list(over)))
        lines.append("")
        lines.append(self.text("plan_here", day=view.patient.day))
        return "\n".join(lines)

    # -- privacy -----------------------------------------------------------------------------------

    def privacy(self) -> str:
        """What is stored, for how long, how to delete it."""
        return self.text(
            "privacy",
            days=self.config.question_retention_days,
            patient_days=self.config.patient_retention_days,
        )

    def forget_confirm(self) -> tuple[str, Keyboard]:
        """Are you sure? Two buttons."""
        row = (
            Button(self.text("buttons.forget_yes"), buttons.encode(buttons.Forget(True))),
            Button(self.text("buttons.forget_no"), buttons.encode(buttons.Forget(False))),
        )
        return self.text("forget_confirm"), (row,)

    def forgotten(self, report: Forgotten) -> str:
        """What /forget deleted."""
        if not report.anything:
            return self.text("forget_nothing")
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
        return "\n".join(lines)

    # -- staff -------------------------------------------------------------------------------------

    def name(self, name: str | None, number: int | None) -> str:
        """The patient's name, else an alias that does not identify them outside the clinic."""
        if name:
            return name
        return self.staff("alias", number=number) if number is not None else self.staff("alias_unknown")

    def numbered(self, name: str | None, number: int) -> str:
        """The patient's name and number ("Ann (#3)"), else the alias ("Patient #3"): staff need the number
        to add a treatment (`/enroll YYYY-MM-DD #3`)."""
        return self.staff("patients_named", name=name, number=number) if name else self.name(None, number)

    def tier_name(self, tier: Tier) -> str:
        """The tier as staff read it ("EMERGENCY")."""
        return self.staff(f"tiers.{tier.value}") or tier.value

    def option(self, option: str) -> str:
        """A check-in answer's label."""
        for procedure in self.kb.procedures.values():
            for known in procedure.checkins.options:
                if known.id == option:
                    return known.label
        return option

    def where_staff(self, procedure: str | None, day: int | None) -> str:
        """ "<procedure>, day 3"."""
        if procedure is None or day is None:
            return self.staff("alert_where_unknown")
        return self.staff("alert_where", procedure=procedure, day=day)

    def alert_lines(self, view: AlertView) -> list[str]:
        """The body of an alert message."""
        name = self.name(view.name, view.patient_number)
        lines = [self.staff("alert_title", tier=self.tier_name(view.tier), name=name)]
        if view.repeat:
            lines.insert(0, self.staff("alert_repeat"))
        lines.append(self.where_staff(view.procedure, view.day))
        if view.words:
            lines.append(self.staff("alert_words", text=view.words))
        if view.from_checkin:
            lines.append(self.staff("alert_checkin"))
        if view.answers:
            items = [
                self.staff("alert_answer_item", day=d if d is not None else "?", option=self.option(o))
                for d, o in view.answers
            ]
            lines.append(self.staff("alert_answers", answers="; ".join(items)))
        else:
            lines.append(self.staff("alert_no_answers"))
        return lines

    def alert_buttons(self, alert_id: int, handled: bool = False, name: str | None = None) -> Keyboard:
        """ "I'll handle it" (until someone did) and "Open chat"; with the patient's `name` in the labels
        when several alerts share one message (/alerts)."""
        suffix, values = ("_named", {"name": name[:NAME_IN_BUTTON]}) if name else ("", {})
        row = [
            Button(
                self.staff(f"buttons.open_chat{suffix}", **values),
                buttons.encode(buttons.AlertAction(alert_id, open_chat=True)),
            )
        ]
        if not handled:
            label = self.staff(f"buttons.handle{suffix}", **values)
            row.insert(0, Button(label, buttons.encode(buttons.AlertAction(alert_id, open_chat=False))))
        return (tuple(row),)

    def alert(self, staff_chat: int, view: AlertView) -> Message:
        """An alert message for the staff chat."""
        text = "\n".join(self.alert_lines(view))[:4000]
        return Message(
            staff_chat,
            text,
            self.alert_buttons(view.alert_id),
            priority=safety_priority(view.tier),
            about_chat_id=view.chat_id,
        )

    def taken(self, view: AlertView, staff: str) -> tuple[str, Keyboard]:
        """The alert once someone pressed "I'll handle it" (the patient's words are no longer shown)."""
        plain = AlertView(**{**view.__dict__, "words": None, "repeat": False})
        lines = self.alert_lines(plain)
        lines.append(self.staff("alert_taken", staff=staff))
        return "\n".join(lines)[:4000], self.alert_buttons(view.alert_id, handled=True)

    def open_alerts(
        self, found: Sequence[tuple[AlertView, datetime]], notices: Sequence[str], now: datetime
    ) -> tuple[str, Keyboard]:
        """/alerts: every open alert with its buttons, then notices not shown before."""
        if not found and not notices:
            return self.staff("alerts_none"), ()
        lines = [self.staff("alerts_heading", count=len(found))] if found else []
        rows: list[tuple[Button, ...]] = []
        for view, raised in found[:MAX_LINES]:
            minutes = max(0, int((now - raised).total_seconds() // 60))
            name = self.name(view.name, view.patient_number)
            lines.append(
                self.staff("alerts_line", name=name, tier=self.tier_name(view.tier), minutes=minutes)
            )
            rows.extend(self.alert_buttons(view.alert_id, name=name))
        if notices:
            lines += [*([""] if lines else []), self.staff("notices_heading"), *notices]
        return "\n".join(lines), tuple(rows)

    def patient_name(self, patient: PatientView | None, fallback: str | None) -> str:
        """Name for a handoff: the enrolled name, else the chat's first name, else the unknown alias."""
        if patient is not None and patient.name:
            return patient.name
        return fallback or self.staff("alias_unknown")

    def patient_where(self, patient: PatientView | None) -> str:
        """Procedure and day of a handoff's patient."""
        return self.where_staff(patient.procedure_name if patient else None, patient.day if patient else None)

    def header(self, patient: PatientView | None, fallback: str | None) -> str:
        """The line above a patient's relayed message."""
        return self.staff(
            "handoff_header", name=self.patient_name(patient, fallback), where=self.patient_where(patient)
        )

    def relayed(self, patient: PatientView | None, fallback: str | None, text: str | None, limit: int) -> str:
        """A patient's relayed message (or a media caption) with its header, at most `limit` characters;
        the header alone when there is no text."""
        if not text:
            return self.header(patient, fallback)[:limit]
        name, where = self.patient_name(patient, fallback), self.patient_where(patient)
        return self.staff("handoff_relayed", name=name, where=where, text=text)[:limit]

    def handoff_opened(self, patient: PatientView | None, fallback: str | None) -> str:
        """Posted in the staff chat when a handoff opens."""
        return self.staff(
            "handoff_opened", name=self.patient_name(patient, fallback), where=self.patient_where(patient)
        )

    def enrolled(self, invitation: Invitation, name: str | None, procedure: str, treated_on: date) -> str:
        """The answer to /enroll (the QR code follows as a photo)."""
        until = invitation.expires_at[:16].replace("T", " ") + " UTC"
        return self.staff(
            "enroll_done",
            name=name or self.staff("enroll_anyone"),
            procedure=procedure,
            date=treated_on.isoformat(),
            until=until,
            url=invitation.url,
        )

    def unanswered(self, groups: Sequence[Group], days: int) -> str:
        """/unanswered."""
        if not groups:
            return self.staff("unanswered_none", days=days)
        lines = [self.staff("unanswered_heading", days=days)]
        lines += [self.staff("unanswered_line", count=g.count, text=g.example) for g in groups[:MAX_LINES]]
        lines += ["", self.staff("unanswered_hint")]
        return "\n".join(lines)

    def patients(self, lines: Sequence[PatientLine], name: str | None = None) -> str:
        """/patients, or /patients NAME (`name`)."""
        if not lines:
            return self.staff("patients_named_none", name=name) if name else self.staff("patients_none")
        heading = (
            self.staff("patients_named_heading", count=len(lines), name=name)
            if name
            else self.staff("patients_heading", count=len(lines))
        )
        out = [heading]
        for p in lines:
            answer = self.staff("patients_no_answer")
            if p.last_option is not None:
                answer = self.staff(
                    "alert_answer_item", day=p.last_step_day, option=self.option(p.last_option)
                )
            line = self.staff(
                "patients_line",
                name=self.numbered(p.name, p.patient_number),
                procedure=p.procedure,
                day=p.day,
                answer=answer,
            )
            out.append(line + (self.staff("patients_unreachable") if p.unreachable else ""))
        return "\n".join(out)

    def stats(self, stats: Stats) -> str:
        """/stats."""
        none = self.staff("stats_none")
        lines = [self.staff("stats_heading", count=stats.active_patients)]
        for period in stats.periods:
            rate = period.response_rate
            minutes = period.median_ack_minutes
            c = period.counts
            lines.append("")
            lines.append(
                self.staff(
                    "stats_period",
                    days=period.days,
                    enrolled=c.enrolled,
                    answered=c.answered,
                    abstained=c.abstained,
                    warning_signs=c.warning_signs,
                    rate=f"{rate:.0%} ({c.checkins_answered}/{c.checkins_sent})"
                    if rate is not None
                    else none,
                    alerts=period.alerts,
                    acknowledged=period.acknowledged,
                    minutes=self.staff("stats_minutes", minutes=f"{minutes:.0f}")
                    if minutes is not None
                    else none,
                )
            )
        return "\n".join(lines)

    def kb_refused(self, problems: Sequence[str]) -> str:
        """The knowledge base did not load: what is wrong, in the staff chat."""
        listed = "\n".join(f"• {p}" for p in problems[:MAX_LINES])
        return self.staff("kb_refused", problems=listed)


def _first_per_subject(items: Sequence[Milestone]) -> list[Milestone]:
    seen: set[str] = set()
    found: list[Milestone] = []
    for m in items:
        if m.subject not in seen:
            seen.add(m.subject)
            found.append(m)
    return found
