"""`aftercare preview`: exactly what a patient would receive on a given day of recovery (`/today`, `/plan`,
a check-in, `/help`), with the clinic's settings and knowledge base, without a database or Telegram."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from bot.config import Config
from bot.core.checkins import checkin_text
from bot.services.knowledge import Knowledge
from bot.services.outcome import Button, Message
from bot.services.views import PatientView
from bot.services.wording import Wording

PREVIEW_CHAT = 0
"""The chat id of previewed messages (none is sent)."""


class Screen(StrEnum):
    """What can be previewed."""

    TODAY = "today"
    PLAN = "plan"
    CHECKIN = "checkin"
    HELP = "help"


class NothingToPreview(Exception):
    """There is no such message on that day (e.g. no check-in): one line saying when there is one."""


class Preview:
    """The messages of one screen for a made-up patient of `procedure` on `day`."""

    def __init__(self, knowledge: Knowledge, config: Config) -> None:
        self.knowledge = knowledge
        self.wording = Wording(knowledge, config)

    def show(self, screen: Screen, procedure_id: str, variant: str | None, day: int, today: date) -> Message:
        """The message a patient treated `day` days before `today` gets for `screen`."""
        engine = self.knowledge.engine
        procedure = engine.procedure(procedure_id, variant)
        if screen is Screen.HELP:
            return Message(PREVIEW_CHAT, self.wording.text("help"))
        if screen is Screen.CHECKIN:
            days = sorted({s.day for s in procedure.checkins.steps})
            if day not in days:
                listed = ", ".join(str(d) for d in days) or "none"
                raise NothingToPreview(
                    f"{procedure.id} has no check-in on day {day} (check-in days: {listed})"
                )
            text = checkin_text(engine.kb, procedure, day, engine.clinic.values())
            options = tuple((Button(o.label, o.id),) for o in procedure.checkins.options)
            return Message(PREVIEW_CHAT, text, options)
        patient = PatientView(
            chat_id=PREVIEW_CHAT,
            name=None,
            procedure_id=procedure.id,
            procedure_name=procedure.name,
            treated_on=today - timedelta(days=day),
            day=day,
            timezone=self.wording.config.timezone,
            muted=False,
            variant=variant,
        )
        return Message(PREVIEW_CHAT, self.wording.status(patient, screen.value))
