"""The warning-sign screen: tiers, negation, questions about signs, typos, spacing, invisible characters."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.model import Tier

P = "microneedling"

URGENT = [
    ("my lips and tongue are swelling up", 0, Tier.EMERGENCY),
    ("i cant breathe properly since the cream", 0, Tier.EMERGENCY),
    ("I feel faint and dizzy", 0, Tier.EMERGENCY),
    ("my throat feels tight and closing", 1, Tier.EMERGENCY),
    ("there's yellow pus coming from a few spots", 3, Tier.SAME_DAY),
    ("i have a fever tonight", 2, Tier.SAME_DAY),
    ("the redness is spreading down my neck", 3, Tier.SAME_DAY),
    ("it's way more painful today than yesterday and getting worse", 4, Tier.SAME_DAY),
    ("came out in hives all over my cheeks", 1, Tier.SAME_DAY),
    ("there are little blisters by my lip", 2, Tier.SAME_DAY),
    ("I think I have a cold sore starting", 2, Tier.SAME_DAY),
    ("a bad smell and it's oozing", 4, Tier.SAME_DAY),
    ("face swelling badly", 1, Tier.SAME_DAY),
]

CALM = [
    ("my face is red like a sunburn", 0),
    ("some light flaking on my cheeks", 3),
    ("bit of pinpoint bleeding after the session", 0),
    ("no fever, no pus, just a bit tight", 2),
    ("I'm not seeing any pus or blisters, is that ok?", 3),
    ("what does an infection look like?", 1),
    ("how do i know if i'm having an allergic reaction", 1),
    ("should I take antivirals if I get cold sores sometimes", None),
    ("a small pimple on my chin", 4),
    ("face a bit puffy this morning", 1),
    ("what water temperature should i wash with", 1),
]


@pytest.mark.parametrize(("message", "day", "tier"), URGENT)
def test_warning_signs_escalate_in_their_tier(engine: Engine, message: str, day: int, tier: Tier) -> None:
    answer = engine.answer(message, P, day=day)
    assert answer.urgency is tier, (message, answer.urgency)
    assert answer.red_flag
    assert answer.safety is not None and answer.text.startswith(answer.safety)


@pytest.mark.parametrize(("message", "day"), CALM)
def test_normal_healing_and_questions_about_signs_do_not_alarm(
    engine: Engine, message: str, day: int
) -> None:
    answer = engine.answer(message, P, day=day)
    assert not answer.red_flag, (message, answer.urgency)


def test_emergency_reply_puts_the_emergency_number_first(engine: Engine) -> None:
    answer = engine.answer("my throat is closing up", P, day=0)
    assert answer.urgency is Tier.EMERGENCY
    assert "999" in answer.safety if answer.safety else False
    assert answer.text.index("999") < 200
    assert answer.sections == ()  # nothing distracts from the emergency reply


def test_same_day_reply_names_the_clinic_and_phone(engine: Engine) -> None:
    answer = engine.answer("there is pus in some of the holes", P, day=3)
    assert answer.safety is not None
    assert "+44 20 7946 0000" in answer.safety


@pytest.mark.parametrize(
    "message",
    [
        "there is p\u200bu\u200bs in the holes",
        "THERE IS PUS!!!",
        "theres puss coming out",
        "my  throat   is   closing",
        "cantbreathe",
        "i have a feverr",
    ],
)
def test_typos_spacing_and_invisible_characters(engine: Engine, message: str) -> None:
    assert engine.answer(message, P, day=2).red_flag, message


def test_worsening_is_a_sign_only_after_the_first_days(engine: Engine) -> None:
    message = "the redness is getting worse"
    assert engine.answer(message, P, day=4).red_flag
    assert not engine.answer(message, P, day=0).red_flag
    assert engine.answer(message, P, day=None).red_flag  # unknown day: escalate


def test_negation_does_not_reach_across_a_but(engine: Engine) -> None:
    assert engine.answer("no fever but there is pus", P, day=3).red_flag


def test_a_question_in_the_same_message_is_still_answered_after_the_safety_reply(engine: Engine) -> None:
    answer = engine.answer("there is pus on my cheek. can i wear makeup?", P, day=3)
    assert answer.red_flag
    assert "makeup" in answer.topics
    assert answer.text.index(answer.safety or "") == 0


def test_routine_tier_is_not_a_red_flag(engine: Engine) -> None:
    answer = engine.answer("I have dark patches on my cheeks", P, day=30)
    assert answer.urgency is Tier.ROUTINE
    assert not answer.red_flag


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        ("my lips are swelling more than ever", Tier.EMERGENCY),
        ("there is more pus than ever", Tier.SAME_DAY),
        ("i get hives every time i try a new cream, now my face is covered in hives", Tier.SAME_DAY),
        ("I have a history of cold sores and now there are blisters on my lip", Tier.SAME_DAY),
        ("i have never had lips swelling like this", Tier.EMERGENCY),
    ],
)
def test_question_words_do_not_hide_a_report(engine: Engine, message: str, tier: Tier) -> None:
    assert engine.answer(message, P, day=2).urgency is tier


@pytest.mark.parametrize(
    "message",
    [
        "is a fever ever normal after microneedling",
        "i have never had a fever",
        "i get cold sores once a year",
    ],
)
def test_general_questions_and_denials_stay_calm(engine: Engine, message: str) -> None:
    assert not engine.answer(message, P, day=2).red_flag


def test_a_sign_at_the_very_end_of_a_full_length_message(engine: Engine) -> None:
    message = ("la " * 1360) + "there is pus"
    assert len(message) <= 4096
    assert engine.answer(message, P, day=3).red_flag


def test_unset_clinic_details_are_worded_by_the_knowledge_base(engine: Engine) -> None:
    from bot.core.answer import Clinic
    from bot.core.answer import Engine as AnswerEngine

    bare = AnswerEngine(engine.kb, Clinic(name="Glow Clinic"))
    answer = bare.answer("my throat is closing", P, day=0)
    assert engine.kb.message("clinic.emergency_number") in (answer.safety or "")
    assert bare.clinic.name == "Glow Clinic"
    assert bare.clinic.phone == engine.kb.message("clinic.phone")
