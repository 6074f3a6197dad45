"""Which rule of a restriction answers: a product's own rule when it is named ("factor 50", "mineral
makeup"), but the strictest when the question also asks about the main subject apart from it ("sunbathe
with factor 50 on") or names two products ("sun cream and a sunbed"): a yes to half of a question must never
allow the other half."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine


@pytest.mark.parametrize(
    ("question", "procedure", "day", "allowed"),
    [
        ("its my peel day, can i sunbathe in the garden with factor 50 on?", "chemical_peel", 0, False),
        ("ok to lie in the sun if i put spf 30 on? day 2", "chemical_peel", 2, False),
        ("can i go sunbathing if i wear suncream", "microneedling", 1, False),
        ("can I use sun cream and a sunbed", "microneedling", 3, False),
        ("can i wear spf and go on a sunbed", "microneedling", 3, False),
        ("can I use sunscreen and a sunbed", "chemical_peel", 3, False),
    ],
)
def test_the_main_subject_beside_a_product_gets_the_stricter_rule(
    engine: Engine, question: str, procedure: str, day: int, allowed: bool
) -> None:
    answer = engine.answer(question, procedure, day=day)
    assert answer.topic == "sun_sunscreen", answer
    assert answer.allowed_now is allowed, answer.text


@pytest.mark.parametrize(
    ("question", "procedure", "day"),
    [
        ("can i wear factor 50 today", "chemical_peel", 0),
        ("is spf 30 ok on my face now", "chemical_peel", 1),
        ("can i wear mineral makeup", "microneedling", 1),
        ("can I wear factor 50 today", "microneedling", 3),
    ],
)
def test_a_product_named_alone_gets_its_own_rule(
    engine: Engine, question: str, procedure: str, day: int
) -> None:
    answer = engine.answer(question, procedure, day=day)
    assert answer.allowed_now is True, answer.text
