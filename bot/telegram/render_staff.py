"""The staff chat's messages: alerts with their buttons, handoff headers, staff command answers.

Wording from the `staff:` section of knowledge/messages.yaml, through the patient `Renderer` (so a reloaded
knowledge base is used at once). Plain text, no parse mode.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from bot.core.grouping import Group
from bot.services.alerts import AlertView
from bot.services.messaging import Button
from bot.services.reports import PatientLine, Stats
from bot.services.views import Invitation, PatientView
from bot.telegram.render import Outgoing, Renderer, callback, keyboard, split

ALERT_PREFIX = "al"  # al:h:<alert id> (I'll handle it) | al:o:<alert id> (open chat)
HANDLE = "h"
OPEN_CHAT = "o"
MAX_LINES = 40
"""At most this many alerts in /alerts: two buttons each stays within Telegram's 100 buttons a message."""
NAME_IN_BUTTON = 32


class StaffRenderer:
    """Builds what the bot posts in the staff chat."""

    def __init__(self, renderer: Renderer) -> None:
        self.base = renderer

    def text(self, key: str, **values: object) -> str:
        """The text `staff.<key>`."""
        return self.base.text(f"staff.{key}", **values)

    def name(self, name: str | None, number: int | None) -> str:
        """The patient's name, else an alias that does not identify them outside the clinic."""
        if name:
            return name
        return self.text("alias", number=number) if number is not None else self.text("alias_unknown")

    def _tier(self, tier: str) -> str:
        return self.text(f"tiers.{tier}") or tier

    def _option(self, option: str) -> str:
        for procedure in self.base.kb.procedures.values():
            for known in procedure.checkins.options:
                if known.id == option:
                    return known.label
        return option

    def where(self, procedure: str | None, day: int | None) -> str:
        """ "microneedling, day 3"."""
        if procedure is None or day is None:
            return self.text("alert_where_unknown")
        return self.text("alert_where", procedure=procedure, day=day)

    # -- alerts --------------------------------------------------------------------------------------

    def alert_lines(self, view: AlertView) -> list[str]:
        """The body of an alert message."""
        name = self.name(view.name, view.patient_number)
        lines = [self.text("alert_title", tier=self._tier(view.tier), name=name)]
        if view.repeat:
            lines.insert(0, self.text("alert_repeat"))
        lines.append(self.where(view.procedure, view.day))
        if view.words:
            lines.append(self.text("alert_words", text=view.words))
        if view.source == "checkin":
            lines.append(self.text("alert_checkin"))
        if view.answers:
            items = [
                self.text("alert_answer_item", day=d if d is not None else "?", option=self._option(o))
                for d, o in view.answers
            ]
            lines.append(self.text("alert_answers", answers="; ".join(items)))
        else:
            lines.append(self.text("alert_no_answers"))
        return lines

    def alert_buttons(
        self, alert_id: int, handled: bool = False, name: str | None = None
    ) -> list[list[Button]]:
        """ "I'll handle it" (until someone did) and "Open chat"; with the patient's `name` in the labels
        when several alerts share one message (/alerts)."""
        suffix, values = ("_named", {"name": name[:NAME_IN_BUTTON]}) if name else ("", {})
        row = [
            Button(
                self.text(f"buttons.open_chat{suffix}", **values), callback(ALERT_PREFIX, OPEN_CHAT, alert_id)
            )
        ]
        if not handled:
            label = self.text(f"buttons.handle{suffix}", **values)
            row.insert(0, Button(label, callback(ALERT_PREFIX, HANDLE, alert_id)))
        return [row]

    def alert(self, view: AlertView) -> tuple[str, list[list[Button]]]:
        """An alert message: its text and button rows (plain, for the outbox)."""
        return "\n".join(self.alert_lines(view))[:4000], self.alert_buttons(view.alert_id)

    def taken(self, view: AlertView, staff: str) -> Outgoing:
        """The alert once someone pressed "I'll handle it" (the patient's words are no longer shown)."""
        lines = self.alert_lines(replace(view, words=None, repeat=False))
        lines.append(self.text("alert_taken", staff=staff))
        return Outgoing("\n".join(lines)[:4000], keyboard(self.alert_buttons(view.alert_id, handled=True)))

    def open_alerts(self, found: Sequence[tuple[AlertView, datetime]], now: datetime) -> Outgoing:
        """/alerts."""
        if not found:
            return Outgoing(self.text("alerts_none"))
        lines = [self.text("alerts_heading", count=len(found))]
        rows = []
        for view, raised in found[:MAX_LINES]:
            minutes = max(0, int((now - raised).total_seconds() // 60))
            name = self.name(view.name, view.patient_number)
            lines.append(self.text("alerts_line", name=name, tier=self._tier(view.tier), minutes=minutes))
            rows.extend(self.alert_buttons(view.alert_id, name=name))
        return Outgoing("\n".join(lines), keyboard(rows))

    # -- handoff -------------------------------------------------------------------------------------

    def patient_name(self, patient: PatientView | None, fallback: str | None) -> str:
        """Name for a handoff: the enrolled name, else the chat's first name, else the unknown alias."""
        if patient is not None and patient.name:
            return patient.name
        return fallback or self.text("alias_unknown")

    def patient_where(self, patient: PatientView | None) -> str:
        """Procedure and day of a handoff's patient."""
        return self.where(patient.procedure_name if patient else None, patient.day if patient else None)

    def header(self, patient: PatientView | None, fallback: str | None) -> str:
        """The line above a patient's relayed message."""
        return self.text(
            "handoff_header", name=self.patient_name(patient, fallback), where=self.patient_where(patient)
        )

    def relayed(self, patient: PatientView | None, fallback: str | None, text: str | None, limit: int) -> str:
        """A patient's relayed message (or a media caption) with its header, at most `limit` characters;
        the header alone when there is no text."""
        if not text:
            return self.header(patient, fallback)[:limit]
        name, where = self.patient_name(patient, fallback), self.patient_where(patient)
        return self.text("handoff_relayed", name=name, where=where, text=text)[:limit]

    def handoff_opened(self, patient: PatientView | None, fallback: str | None) -> str:
        """Posted in the staff chat when a handoff opens."""
        return self.text(
            "handoff_opened", name=self.patient_name(patient, fallback), where=self.patient_where(patient)
        )

    # -- commands ------------------------------------------------------------------------------------

    def enrolled(self, invitation: Invitation, name: str | None, procedure: str, treated_on: date) -> str:
        """The answer to /enroll (the QR code follows as a photo)."""
        until = invitation.expires_at[:16].replace("T", " ") + " UTC"
        return self.text(
            "enroll_done",
            name=name or self.text("enroll_anyone"),
            procedure=procedure,
            date=treated_on.isoformat(),
            until=until,
            url=invitation.url,
        )

    def patients(self, lines: Sequence[PatientLine]) -> list[Outgoing]:
        """/patients."""
        if not lines:
            return [Outgoing(self.text("patients_none"))]
        out = [self.text("patients_heading", count=len(lines))]
        for p in lines:
            answer = self.text("patients_no_answer")
            if p.last_option is not None:
                answer = self.text(
                    "alert_answer_item", day=p.last_step_day, option=self._option(p.last_option)
                )
            line = self.text(
                "patients_line",
                name=self.name(p.name, p.patient_number),
                procedure=p.procedure,
                day=p.day,
                answer=answer,
            )
            out.append(line + (self.text("patients_unreachable") if p.unreachable else ""))
        return [Outgoing(chunk) for chunk in split("\n".join(out))]

    def unanswered(self, groups: Sequence[Group], days: int) -> list[Outgoing]:
        """/unanswered."""
        if not groups:
            return [Outgoing(self.text("unanswered_none", days=days))]
        lines = [self.text("unanswered_heading", days=days)]
        lines += [self.text("unanswered_line", count=g.count, text=g.example) for g in groups[:MAX_LINES]]
        lines += ["", self.text("unanswered_hint")]
        return [Outgoing(chunk) for chunk in split("\n".join(lines))]

    def stats(self, stats: Stats) -> Outgoing:
        """/stats."""
        none = self.text("stats_none")
        lines = [self.text("stats_heading", count=stats.active_patients)]
        for period in stats.periods:
            rate = period.response_rate
            minutes = period.median_ack_minutes
            c = period.counts
            lines.append("")
            lines.append(
                self.text(
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
                    minutes=self.text("stats_minutes", minutes=f"{minutes:.0f}")
                    if minutes is not None
                    else none,
                )
            )
        return Outgoing("\n".join(lines))

    def kb_refused(self, problems: Sequence[str]) -> list[Outgoing]:
        """The knowledge base did not load: what is wrong, in the staff chat."""
        listed = "\n".join(f"• {p}" for p in problems[:MAX_LINES])
        return [Outgoing(chunk) for chunk in split(self.text("kb_refused", problems=listed))]


def qr_png(url: str) -> bytes:
    """A PNG QR code of `url` (sent under the /enroll answer)."""
    import qrcode

    buffer = io.BytesIO()
    qrcode.make(url).save(buffer)
    return buffer.getvalue()
