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
