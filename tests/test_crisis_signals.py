"""A crisis told indirectly is read from kinds of sign (`crisis.signals` and `crisis.mild_signals` in the
language file): a means at hand, affairs put in order, leaving for good, self-hatred, an act meant, being worn
out by living; and, milder, a farewell, feeling calm, fading away, where self-harm is done. Two kinds in one
message, at least one of them grave, are a crisis however they are worded; one kind alone, two mild kinds,
or signs inside aftercare are not. Phrasings are the team's own (the blind set crisis-12 is in tests/data)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.answer import Engine
from bot.core.crisis import CrisisScreen
from bot.core.language import Reader
from bot.core.model import Tier

PROCEDURES = ("microneedling", "chemical_peel", "dermal_filler")


def _crisis_everywhere(engine: Engine, message: str) -> bool:
    return all(engine.answer(message, p).urgency is Tier.CRISIS for p in PROCEDURES)


def _crisis_anywhere(engine: Engine, message: str) -> bool:
    return any(engine.answer(message, p).urgency is Tier.CRISIS for p in PROCEDURES)


@pytest.mark.parametrize(
    "message",
    [
        # affairs put in order, for good
        "left the dog with my brother for good and wrote my will last night",
        # a means at hand, and calm
        "i have a stash in my drawer and i feel calm now",
        # a means, and where self-harm is done
        "got the blades out again, theyre on my thighs every night",
        # self-hatred, a means that draws
        "im such a burden on everyone, the cliff near ours looks tempting",
        # leaving, self-hatred, in two sentences
        "you wont hear from me again after this weekend. i hate myself",
        # an act meant, where
        "scratched my forearms till they bled, on purpose",
        # fading away, leaving
        "theres nothing left of me. logging off",
        # a weak phrase with a mild sign
        "no need to keep my review slot, i wont be around. feeling calm about it all now",
        # a means with a supporting phrase
        "bought a noose at the weekend. not sure why im telling you",
    ],
)
def test_two_kinds_of_sign_are_a_crisis_however_worded(engine: Engine, message: str) -> None:
    assert _crisis_everywhere(engine, message), message


@pytest.mark.parametrize(
    "message",
    [
        # one kind alone
        "changed all my passwords after a scam email. is peeling on day 3 normal",
        "honestly picking the flakes is so tempting",
        # two mild kinds: a thank-you, a calm feeling, a word of finality, looking pale
        "at peace now that the redness is going, thank you for everything x",
        "i look like a ghost with this frosting, is that normal, thanks for everything",
        "forever grateful, goodbye and thanks for everything",
        "deliberately slept on my back like you said, feel calm now",
        # signs inside aftercare, or inside an everyday idiom
        "gave away my old makeup to the charity shop since i cant wear it this week",
        "the bridge of my nose is a bit sore tonight, is that normal",
        "ive decided to leave my lips as they are, no top up, thanks for everything",
        "cant go on like this with no makeup, when can i wear foundation again",
        # someone else's
        "my sister rehomed her cat and wrote her will, shes moving abroad for good",
    ],
)
def test_one_kind_two_mild_kinds_or_signs_in_aftercare_are_not_a_crisis(engine: Engine, message: str) -> None:
    assert not _crisis_anywhere(engine, message), message


def test_the_kinds_of_sign_are_data_in_the_language_file(engine: Engine) -> None:
    language = engine.kb.language
    assert {"means", "preparation", "worth"} <= set(language.crisis_signals)
    assert {"farewell", "peace"} <= set(language.crisis_mild_signals)
    message = "sorted my will today and feel calm now everything is in order"
    with_signals = CrisisScreen(language, Reader(language, ()))
    without = CrisisScreen(
        dataclasses.replace(language, crisis_signals={}, crisis_mild_signals={}), Reader(language, ())
    )
    assert with_signals.found(message)
    assert not without.found(message)
