"""Trouble breathing told loosely is an emergency after any treatment: an allergic reaction can close the
airway whatever was done, so every procedure's screen reads the same ways of saying it."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.model import Tier

PROCEDURES = ["microneedling", "chemical_peel", "dermal_filler"]
TOLD_LOOSELY = [
    "I feel like my airway is closing",
    "my breathing feels funny since the treatment",
    "it's hard to get air in",
    "cant catch my breath and my lips are tingling",
    "throat closing up, scared",
]


@pytest.mark.parametrize("procedure", PROCEDURES)
@pytest.mark.parametrize("message", TOLD_LOOSELY)
def test_loosely_told_breathing_trouble_is_an_emergency(engine: Engine, procedure: str, message: str) -> None:
    answer = engine.answer(message, procedure, day=0)
    assert answer.urgency is Tier.EMERGENCY, (procedure, message, answer.text)


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_a_question_about_breathing_during_exercise_is_not_an_alarm(engine: Engine, procedure: str) -> None:
    answer = engine.answer("when can I go back to running?", procedure, day=3)
    assert answer.urgency is None
