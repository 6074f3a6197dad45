"""Answering without Telegram or a database: `aftercare ask`, `chat` and `eval`, with the clinic's settings,
so a clinic sees exactly what its patients would read."""

from __future__ import annotations

from datetime import date

from bot.core.answer import Answer
from bot.core.recovery import recovery_day
from bot.services.knowledge import Knowledge

MAX_DAY = 365


class DayError(ValueError):
    """A treatment date that cannot be used (in the future, or more than a year back)."""


class Answering:
    """The engine in use, asked as a patient would ask it."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    def check_procedure(self, procedure: str, variant: str | None = None) -> str | None:
        """Why a procedure or variant is unknown (one line), or None."""
        engine = self.knowledge.engine
        known = engine.kb.procedures.get(procedure)
        if known is None:
            return f"unknown procedure '{procedure}' (known: {', '.join(engine.procedures)})"
        variants = [v.id for v in known.variants]
        if variant is not None and variant not in variants:
            return f"unknown variant '{variant}' of {procedure} (known: {', '.join(variants) or 'none'})"
        return None

    @staticmethod
    def day_of(treated_on: date, today: date) -> int:
        """The day of recovery of a treatment date; DayError when it cannot be used."""
        day = recovery_day(treated_on, today)
        if day < 0:
            raise DayError(f"--treated-on {treated_on.isoformat()} is in the future")
        if day > MAX_DAY:
            raise DayError(f"--treated-on {treated_on.isoformat()} is more than a year ago")
        return day

    def ask(
        self,
        question: str,
        procedure: str,
        day: int | None = None,
        treated_on: date | None = None,
        variant: str | None = None,
    ) -> Answer:
        """The answer a patient on `day` would get."""
        return self.knowledge.engine.answer(question, procedure, day, treated_on, variant)

    def console_text(self, answer: Answer) -> str:
        """An answer as the console shows it: suggestions numbered, to be picked by typing the number."""
        if not answer.suggestions:
            return answer.text
        lines = [p for p in (answer.safety, *answer.sections) if p]
        lines += [f"  {n}. {s.title}" for n, s in enumerate(answer.suggestions, start=1)]
        return "\n".join(lines)

    def text(self, key: str, default: str = "", **values: object) -> str:
        """A shared text of the knowledge base (the console's hello and goodbye)."""
        template = self.knowledge.engine.kb.message(key, default)
        for name, value in values.items():
            template = template.replace("{" + name + "}", str(value))
        return template
