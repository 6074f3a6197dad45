"""A crisis told in parts (a medicine with an amount or a stockpile, a harm done on purpose, somewhere high)
or in indirect words is the crisis tier; everyday sentences with the same words are not. Phrasings written
for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.model import Tier

PROCEDURES = ("microneedling", "chemical_peel", "dermal_filler")

TOLD_IN_PARTS = [
    "I swallowed a handful of my sleeping tablets",
    "i have been hoarding my painkillers for a while",
    "I have taken the whole box of paracetamol",
    "i hit myself on purpose",
    "I burnt my wrists with a cigarette",
    "I keep cutting my thighs again",
    "i'm thinking of jumping off the roof",
]

INDIRECT = [
    "honestly whats the point in living anymore",
    "nobody would care if i was gone",
    "I wrote a goodbye note to my mum",
    "I want everything to end",
    "i'm tired of being alive",
    "my lips look awful and there is no point going on",
]

EVERYDAY = [
    "took two ibuprofen for the pain, is that fine?",
    "I cut my leg shaving this morning, can I still use my serum",
    "I burned my arm on the oven, can I still get my peel",
    "I stopped taking my pills before the treatment, was that right?",
    "can I take paracetamol and ibuprofen together",
    "fell asleep by the window with the sun on my face",
    "my skin is burning again on day 2",
    "I hate myself for picking at the scabs",
    "how many tablets of arnica can I take",
    "I scratched it on purpose because it itched so much",
    "jumping on the trampoline with my kids ok?",
    "I've saved up for this treatment for months",
    "my face is dead tired",
    "the tingling will be the end of me",
]


@pytest.mark.parametrize("procedure", PROCEDURES)
@pytest.mark.parametrize("message", TOLD_IN_PARTS + INDIRECT)
def test_a_crisis_told_in_parts_or_indirectly_is_the_crisis_tier(
    engine: Engine, procedure: str, message: str
) -> None:
    answer = engine.answer(message, procedure, day=2)
    assert answer.urgency is Tier.CRISIS, message
    assert answer.sections == ()


@pytest.mark.parametrize("message", EVERYDAY)
def test_everyday_sentences_with_the_same_words_are_no_crisis(engine: Engine, message: str) -> None:
    for procedure in PROCEDURES:
        answer = engine.answer(message, procedure, day=2)
        assert answer.urgency is not Tier.CRISIS, (procedure, message)


def test_an_idiom_in_the_sentence_keeps_the_parts_from_counting(engine: Engine) -> None:
    # "shaving" is an everyday exclusion: a cut on the leg while shaving is no crisis.
    assert engine.answer("I cut my legs again with the razor while shaving", "microneedling").urgency is not (
        Tier.CRISIS
    )
    assert engine.answer("I cut my legs again with a razor", "microneedling").urgency is Tier.CRISIS
