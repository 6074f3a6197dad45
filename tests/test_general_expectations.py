"""General questions about the days after get what is normal, by day: for the patient's own day when it is
known, else day by day. Phrasings written for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine

P = "microneedling"

GENERAL = [
    "what can i expect after my treatment",
    "what will my skin look like in the days afterwards",
    "how will my face feel after the session",
    "what should i be expecting over the next few days",
]


@pytest.mark.parametrize("question", GENERAL)
def test_unknown_day_gets_the_course_day_by_day(engine: Engine, question: str) -> None:
    answer = engine.answer(question, P, day=None)
    course = engine.procedure(P).course
    assert answer.topic == "redness_swelling", (question, answer.topic)
    assert answer.allowed_now is None and not answer.red_flag
    for line in course:
        assert line.text in answer.text
    assert "Day 0" in answer.text and "Days 1 to 2" in answer.text


@pytest.mark.parametrize("question", GENERAL)
def test_a_known_day_gets_what_is_normal_on_that_day(engine: Engine, question: str) -> None:
    procedure = engine.procedure(P)
    answer = engine.answer(question, P, day=4)
    today = procedure.course_on(4)
    assert today, "the knowledge base has a course line for day 4"
    assert all(line.text in answer.text for line in today)
    others = [line for line in procedure.course if line not in today]
    assert not any(line.text in answer.text for line in others)
    assert "day 4" in answer.text


def test_a_specific_symptom_is_not_answered_with_the_whole_course(engine: Engine) -> None:
    answer = engine.answer("what should i expect from the peeling", P, day=3)
    assert answer.topic == "peeling_dryness_flaking"
    assert not any(line.text in answer.text for line in engine.procedure(P).course)


def test_hedge_words_do_not_hide_a_general_question(engine: Engine) -> None:
    # "actually", "honestly", "even" only colour the sentence.
    answer = engine.answer("what will i honestly look like, like actually, in the days after", P, day=None)
    assert answer.topic == "redness_swelling"
    assert "Day 0" in answer.text


def test_a_second_question_beside_the_general_one_is_answered_after_it(engine: Engine) -> None:
    answer = engine.answer("what should I expect tomorrow? also can I cover it with foundation", P, day=0)
    assert answer.topics == ("redness_swelling", "makeup")
    today = engine.procedure(P).course_on(0)
    assert today and answer.sections[0].count(today[0].text) == 1
    assert answer.allowed_now is False  # makeup waits: the second part gets its own verdict
    assert "makeup" in answer.sections[1]


@pytest.mark.parametrize(
    ("procedure", "question"),
    [
        (
            "dermal_filler",
            "home now after my cheek filler, the nurse went through it all but my head was all over the "
            "place 😅 what do i need to avoid for the next couple of days?",
        ),
        ("dermal_filler", "lips done an hour ago 💋 anything to avoid over the next few days"),
        (
            "chemical_peel",
            "peel done this morning, forgot everything she said 🙈 what should i avoid in the first week?",
        ),
    ],
)
def test_what_to_avoid_for_the_next_days_after_a_story_gets_the_overview(
    engine: Engine, procedure: str, question: str
) -> None:
    # An emoji ends the story as a full stop would; the question asked after it is about the days ahead.
    assert engine.answer(question, procedure).topic == "aftercare_overview"
