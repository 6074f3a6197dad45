"""Honest confidence: the matcher answers only when the chosen entry explains the question, and otherwise asks
back with the entries it hesitates between. Phrasings written for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.matcher import DEFAULT_THRESHOLD, Scored, _torn_between

P = "microneedling"


def _confidence(engine: Engine, question: str) -> float:
    return engine.matchers[P].match(question).confidence


@pytest.mark.parametrize(
    ("typed", "spelled"),
    [
        ("mineral or chemical sunscrean after needling?", "mineral or chemical sunscreen after needling?"),
        ("can i wear sunscren tomorrow", "can i wear sunscreen tomorrow"),
        ("when can i start moisturising", "when can i start moisturizing"),
    ],
)
def test_a_match_resting_on_a_corrected_or_merged_word_is_less_sure(
    engine: Engine, typed: str, spelled: str
) -> None:
    """The same question typed with a typo, or with a form of a word the knowledge base never uses, finds the
    same entry with less confidence than when spelled as the knowledge base spells it."""
    matcher = engine.matchers[P]
    assert matcher.match(typed).entry_id == matcher.match(spelled).entry_id
    assert _confidence(engine, typed) < _confidence(engine, spelled)


def test_doubt_is_the_share_of_the_explanation_resting_on_doubtful_words(engine: Engine) -> None:
    matcher = engine.matchers[P]
    [top, *_] = matcher._score(matcher.stems("sunscrean"), matcher._doubts("sunscrean"))
    assert top.entry_id == "sun_sunscreen" and top.doubt == 1.0
    [top, *_] = matcher._score(matcher.stems("sunscreen"), matcher._doubts("sunscreen"))
    assert top.doubt == 0.0


def test_a_typo_too_far_from_any_word_abstains_with_the_likely_entry_offered(engine: Engine) -> None:
    answer = engine.answer("wen can i use retinoll", P, day=2)
    assert answer.topic is None
    assert "retinoids" in {s.id for s in answer.suggestions}


@pytest.mark.parametrize(
    ("question", "topic", "not_topic"),
    [
        ("can I put water on my face", "washing_cleansing", "hydration_water"),
        ("how much water should i drink a day", "hydration_water", "washing_cleansing"),
    ],
)
def test_keyword_pull_the_rest_of_the_question_decides(
    engine: Engine, question: str, topic: str, not_topic: str
) -> None:
    """ "water" is asked about when drinking it and when washing with it: the words around it decide."""
    answer = engine.answer(question, P, day=2)
    assert answer.topic == topic and not_topic not in answer.topics


@pytest.mark.parametrize(
    "question",
    [
        "my cousin recommended a new phone plan, is it any good",
        "what about the cream",
        "is the cream the problem",
    ],
)
def test_a_question_mostly_about_something_else_is_not_answered(engine: Engine, question: str) -> None:
    answer = engine.answer(question, P, day=2)
    assert answer.topic is None, (answer.topic, answer.confidence)
    assert answer.confidence < DEFAULT_THRESHOLD


def test_two_close_entries_abstain_with_both_offered(engine: Engine) -> None:
    """ "ice" is said about swelling and about pain alike: a question back names both, not a guess."""
    answer = engine.answer("ice", P, day=1)
    assert answer.topic is None
    assert {"redness_swelling", "pain_discomfort"} <= {s.id for s in answer.suggestions}


def test_a_word_that_says_hot_offers_the_entries_it_could_mean(engine: Engine) -> None:
    answer = engine.answer("hot", P, day=1)
    assert answer.topic is None
    assert len(answer.suggestions) >= 2


def _scored(entry_id: str, score: float, position: int, explains: dict[str, float]) -> Scored:
    return Scored(
        entry_id,
        score,
        keyword=1.0,
        similarity=0.5,
        first_position=position,
        coverage=sum(explains.values()),
        phrases=frozenset({(entry_id,)}),
        explains=tuple(explains.items()),
    )


def test_two_close_entries_explaining_different_words_are_both_answered_in_the_order_named() -> None:
    """ "can I sunbathe by the pool": the sun and the pool are two parts of one message, answered in the
    order the patient named them even when the one named second scores a little better."""
    pool = _scored("swimming", 4.4, 6, {"pool": 0.5})
    sun = _scored("sun", 4.0, 3, {"sunbath": 0.5})
    found = _torn_between((pool, sun), DEFAULT_THRESHOLD)
    assert found is not None and found.topics == ("sun", "swimming")


def test_an_entry_explaining_nothing_the_other_does_not_is_left_out() -> None:
    """ "how long will I look red": "how long" is the downtime entry's and the redness entry's, "red" only
    the redness entry's: one question, which the redness entry answers alone, though downtime was named
    first."""
    redness = _scored("redness", 2.9, 5, {"long": 0.2, "red": 0.3})
    downtime = _scored("downtime", 2.7, 0, {"long": 0.2})
    found = _torn_between((redness, downtime), DEFAULT_THRESHOLD)
    assert found is not None and found.topics == ("redness",)
    assert found.entry_id == "redness"


@pytest.mark.parametrize(
    ("procedure", "question", "topics"),
    [
        ("microneedling", "can i go sunbathing by the pool", ("sun_sunscreen", "swimming_sauna_heat")),
        (
            "microneedling",
            "can i swim in the sea and sit in the sun?",
            ("swimming_sauna_heat", "sun_sunscreen"),
        ),
        ("chemical_peel", "how long will i look red after my peel", ("redness_swelling",)),
    ],
)
def test_two_parts_are_answered_and_one_question_once(
    engine: Engine, procedure: str, question: str, topics: tuple[str, ...]
) -> None:
    assert engine.matchers[procedure].match(question).topics == topics


@pytest.mark.parametrize(
    "question", ["can my husband come in with me to the appointment", "can i bring my dog to my appointment"]
)
def test_saying_when_is_not_enough_for_the_preparation_answer(engine: Engine, question: str) -> None:
    """A question that names the appointment but nothing the preparation answer is about is not answered
    with it confidently: the bot asks back, offering the preparation answer."""
    answer = engine.answer(question, P)
    assert answer.topic is None
    assert "numbing_preparation" in {s.id for s in answer.suggestions}


def test_a_preparation_question_is_still_answered(engine: Engine) -> None:
    found = engine.matchers[P].match("what do i need to do to get ready before my appointment")
    assert found.topics == ("numbing_preparation",) and found.confidence >= DEFAULT_THRESHOLD
