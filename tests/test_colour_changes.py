"""A colour change (purple, white, grey, dusky) together with swelling or pain is checked the same day; a
bruise changing colour is not. Phrasings written for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.model import Tier

P = "microneedling"


@pytest.mark.parametrize(
    "message",
    [
        "my cheek swelled up overnight and went purple",
        "one patch on my jaw has turned white and it hurts",
        "the skin by my nose looks greyish and it's throbbing",
        "It is really swollen. And the skin has gone a dusky colour.",
        "mottled bluish skin on my chin and it is very sore",
    ],
)
def test_colour_with_swelling_or_pain_escalates(engine: Engine, message: str) -> None:
    assert engine.answer(message, P, day=1).urgency is Tier.SAME_DAY, message


@pytest.mark.parametrize(
    "message",
    [
        "the bruise under my eye went purple and it's a bit sore",
        "my face went white when they put the numbing cream on",  # colour without swelling or pain
        "a small bruise has turned yellowish, is that normal",
        "no purple or grey patches, just a little swelling",
    ],
)
def test_bruises_and_colour_alone_stay_calm(engine: Engine, message: str) -> None:
    assert not engine.answer(message, P, day=2).red_flag, message
