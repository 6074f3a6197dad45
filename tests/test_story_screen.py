"""The warning-sign screen reads a message as a whole story: the words of a sign may stand apart, in any
order, within a sentence or across two. Still no alarm for the normal course, negations and questions about
signs. Phrasings written for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.model import Tier

P = "microneedling"


@pytest.mark.parametrize(
    ("message", "day", "tier"),
    [
        (
            "this morning when i looked in the mirror my lips were so big from all the swelling",
            1,
            Tier.EMERGENCY,
        ),
        ("My throat. It feels like it is closing.", 0, Tier.EMERGENCY),
        ("there's a yellowish kind of crust forming on the spots on my chin", 3, Tier.SAME_DAY),
        ("the redness had faded by yesterday. today it is back and worse than before", 4, Tier.SAME_DAY),
        ("i noticed a smell coming from my cheek, a really bad one", 3, Tier.SAME_DAY),
    ],
)
def test_sign_words_told_apart_still_escalate(engine: Engine, message: str, day: int, tier: Tier) -> None:
    answer = engine.answer(message, P, day=day)
    assert answer.urgency is tier, (message, answer.urgency)
    assert answer.safety is not None and answer.text.startswith(answer.safety)


@pytest.mark.parametrize(
    ("message", "day"),
    [
        ("my lips are fine, but the swelling on my cheeks is going down nicely", 2),
        ("the swelling went down overnight and my lips look normal again", 2),
        ("my lips feel dry. my cheeks are a bit pink and warm", 1),
        ("no pus at all. the spots on my chin are just small whiteheads", 4),
        ("how would i know if my lips were swelling because of an allergy?", 1),
        ("my toddler touched my face with sticky hands, will it get infected?", 1),
    ],
)
def test_the_normal_course_negations_and_questions_stay_calm(engine: Engine, message: str, day: int) -> None:
    answer = engine.answer(message, P, day=day)
    assert not answer.red_flag, (message, answer.urgency, engine.screen(message, P, day))
