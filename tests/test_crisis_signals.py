"""A crisis told indirectly is read from kinds of sign (`crisis.signals` and `crisis.mild_signals` in the
language file): concrete signs (a means at hand, affairs put in order, an act meant, leaving) and, milder,
feelings and farewells (self-hatred, being worn out, a thank-you, feeling calm, fading away). A concrete sign
with a second sign of another kind in its sentence or the next is a crisis however it is worded; one kind
alone, feelings and farewells without a concrete sign, denied signs, or signs inside aftercare are not.
Phrasings are the team's own and a safety reviewer's (the blind set crisis-12 is in tests/data)."""

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
        "left the dog with my brother for good and sorted my will last night",
        # a means at hand, and calm
        "i have a stash in my drawer and i feel calm now",
        # a means, and where self-harm is done
        "got the blades out again, theyre on my thighs every night",
        # a means that draws
        "the ledge at the car park looks more inviting every day. got a rope in the boot",
        # leaving, self-hatred, in two sentences
        "you wont hear from me again after this weekend. i hate myself",
        # an act meant, where
        "scratched my forearms till they bled, on purpose",
        # fading away, leaving
        "theres nothing left of me. you wont see me again",
        # a weak phrase with a concrete sign
        "no need to keep my review slot, i wont be around. left a note for my mum",
        # a means with a supporting phrase
        "bought a noose at the weekend. not sure why im telling you",
        # a safety reviewer's
        "Gave my cat to my neighbour. Tell my mum I love her",
        "Would anyone notice if I went? Bought a rope",
        "had about 15 percs and a bottle of wine. I'm at peace",
        "You won't hear from me again. Tell my mum I'm sorry",
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
        # someone else's
        "my sister rehomed her cat and wrote her will, shes moving abroad for good",
        # feelings and farewells without a concrete sign, or a sign denied (a safety review's probes)
        "Long road to recovery but getting there! Thank you for everything x",
        "I'm logging off for the night, thanks for everything x",
        "Not ok with needles usually but felt calm the whole time, thanks for everything!",
        "I hate my life right now lol, day 3 of peeling. Never again!",
        "Tried the ice roller, nothing works. Feel like a failure, I give up",
        "Went for a walk along the cliffs today, felt so peaceful",
        "Made my will last week before the op, feel calm about everything now",
        "I'm not struggling at all, feel calm and my skin looks great",
        "No dark thoughts or anything, just feeling calm about my lips",
        "Loved it, would do it again! Thank you for everything",
        "checking out of the hotel now, thanks for everything, see you in 4 weeks",
        "Can I go back to using all my Oxy products yet?",
        "Ok I've decided. Never again with peels, thanks for everything",
    ],
)
def test_one_kind_two_mild_kinds_or_signs_in_aftercare_are_not_a_crisis(engine: Engine, message: str) -> None:
    assert not _crisis_anywhere(engine, message), message


def test_the_kinds_of_sign_are_data_in_the_language_file(engine: Engine) -> None:
    language = engine.kb.language
    assert {"means", "preparation", "intent"} <= set(language.crisis_signals)
    assert {"farewell", "peace", "worth"} <= set(language.crisis_mild_signals)
    message = "sorted my will today and feel calm now"
    with_signals = CrisisScreen(language, Reader(language, ()))
    without = CrisisScreen(
        dataclasses.replace(language, crisis_signals={}, crisis_mild_signals={}), Reader(language, ())
    )
    assert with_signals.found(message)
    assert not without.found(message)
