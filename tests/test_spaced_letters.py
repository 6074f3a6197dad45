"""Letters typed one by one or with a key held down are read as the word they spell. Phrasings written for
this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.model import Tier
from bot.core.text import join_spelled, squeezed

P = "microneedling"


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        ("there is p u s in a couple of the holes", Tier.SAME_DAY),
        ("P.U.S. coming out near my nose", Tier.SAME_DAY),
        ("i think i have a f e v e r", Tier.SAME_DAY),
        ("puuuuss on my cheek", Tier.SAME_DAY),
        ("feverrrr and chillsss tonight", Tier.SAME_DAY),
        ("my throat is swolllen", Tier.EMERGENCY),
    ],
)
def test_spaced_and_repeated_letters_escalate(engine: Engine, message: str, tier: Tier) -> None:
    assert engine.answer(message, P, day=3).urgency is tier, message


def test_a_single_letter_word_stays_a_word() -> None:
    assert join_spelled("i have a p u s spot".split(), {"pus"}) == ["i", "have", "a", "pus", "spot"]
    assert join_spelled("o k thanks".split(), {"ok"}) == ["ok", "thanks"]
    assert join_spelled("a b thanks".split(), {"ok"}) == ["a", "b", "thanks"]


def test_squeezed_spellings() -> None:
    assert "pus" in set(squeezed("puuuss"))
    assert "swollen" in set(squeezed("swolllen"))
    assert list(squeezed("retinol")) == []
