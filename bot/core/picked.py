"""The answer of one entry chosen by the patient (a "Did you mean" button), for their day of recovery."""

from __future__ import annotations

from datetime import date

from bot.core.answer import Answer, Engine


def answer_entry(
    engine: Engine, entry_id: str, procedure_id: str, day: int | None, treated_on: date | None
) -> Answer:
    """The reply for entry `entry_id` as if the patient had asked about it (KeyError when unknown)."""
    return engine.answer_entry(procedure_id, entry_id, day, treated_on)
