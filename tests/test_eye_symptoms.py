"""Eye pain or any change in vision after a facial treatment is checked the same day; losing sight is an
emergency. Phrasings written for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.model import Tier

P = "microneedling"


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        ("my left eye really hurts since the treatment", Tier.SAME_DAY),
        ("everything looks blurry out of my right eye", Tier.SAME_DAY),
        ("i'm seeing double since this afternoon", Tier.SAME_DAY),
        ("some of the numbing cream got in my eye and it stings", Tier.SAME_DAY),
        ("I can't see out of my left eye", Tier.EMERGENCY),
        ("i think i have lost the vision in one eye", Tier.EMERGENCY),
    ],
)
def test_eye_symptoms_escalate(engine: Engine, message: str, tier: Tier) -> None:
    answer = engine.answer(message, P, day=0)
    assert answer.urgency is tier, (message, answer.urgency)


@pytest.mark.parametrize(
    "message",
    [
        "no eye pain and my vision is fine, just some redness",
        "what should i do if my vision goes blurry?",
        "my eyes look a bit puffy this morning",
        "i can't see any difference yet",
    ],
)
def test_no_alarm_without_an_eye_symptom(engine: Engine, message: str) -> None:
    assert not engine.answer(message, P, day=1).red_flag, message
