"""The answer of one entry chosen by the patient (a "Did you mean" button), for their day of recovery."""

from __future__ import annotations

from datetime import date

from bot.core.answer import Answer, Engine
from bot.core.recovery import verdict
from bot.core.text import fill


def answer_entry(
    engine: Engine, entry_id: str, procedure_id: str, day: int | None, treated_on: date | None
) -> Answer:
    """The reply for entry `entry_id` as if the patient had asked about it (KeyError when unknown)."""
    procedure = engine.procedure(procedure_id)
    entry = procedure.entry(entry_id)
    if entry is None:
        raise KeyError(f"unknown entry '{entry_id}' in procedure '{procedure_id}'")
    values = engine.values(procedure, day=day if day is not None else "")
    found = None
    if entry.restriction is not None:
        found = verdict(engine.kb, entry, entry.restriction.main, day, treated_on)
        text = f"{found.text} {fill(entry.answer, values)}"
    elif entry.symptom is not None and day is not None and day > entry.symptom.normal_until_day:
        text = fill(entry.symptom.late_answer, values)
    else:
        text = fill(entry.answer, values)
    return Answer(
        question=entry.title,
        day=day,
        topic=entry.id,
        topics=(entry.id,),
        confidence=1.0,
        urgency=None,
        allowed_now=found.allowed_now if found else None,
        allowed_from_day=found.from_day if found else None,
        suggestions=(),
        safety=None,
        sections=(text,),
        verdicts=(found,) if found else (),
    )
