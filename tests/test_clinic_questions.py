"""Questions for the clinic rather than about aftercare get a kind hand-over, not a care answer.
Phrasings written for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Answer, Engine

P = "microneedling"


@pytest.mark.parametrize(
    "question",
    [
        "how much do you charge per session",
        "is it really worth the price",
        "can i book in for another one next month",
        "i need to reschedule my appointment",
        "do you do gift vouchers for christmas",
        "how do i choose the right practitioner",
        "am i a good candidate if i have rosacea",
        "is a home derma roller from amazon any good",
        "do you have any discounts for a package of three",
    ],
)
def test_questions_for_the_clinic_are_handed_over(engine: Engine, question: str) -> None:
    answer = engine.answer(question, P, day=5)
    _handed_over(engine, answer, question)


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        # The same kinds, asked of every procedure in other words.
        ("can i spread the cost with klarna", "chemical_peel"),
        ("roughly what price is a single peel", "chemical_peel"),
        ("at 17, am i old enough for one", "chemical_peel"),
        ("who is better to do it, a provider at a spa or a clinic", "dermal_filler"),
        ("are those led masks worth buying for in between", "microneedling"),
        ("do you take a deposit when booking", "dermal_filler"),
        # A coming appointment named in a booking question is still the clinic's.
        ("i have to move my appointment next week, how do i rebook", "microneedling"),
        ("can i change my appointment tomorrow to the afternoon", "chemical_peel"),
        ("roughly what does one cost at a med spa", "dermal_filler"),
        ("am i too old for it at 64", "microneedling"),
        ("been quoted 300 quid, is that steep", "chemical_peel"),
        ("how can i tell if the person doing it is properly trained", "dermal_filler"),
        # Who should do it, and figures about other patients: the team's to talk through.
        ("dermatologist vs esthetician, who should i see for it", "microneedling"),
        ("what qualifications does the person doing it need", "chemical_peel"),
        ("how do i pick a safe injector", "dermal_filler"),
        ("what percentage of patients end up with scarring", "chemical_peel"),
        ("what is the success rate with acne scars", "microneedling"),
    ],
)
def test_every_procedure_hands_clinic_questions_over(engine: Engine, question: str, procedure: str) -> None:
    _handed_over(engine, engine.answer(question, procedure, day=5), question)


def _handed_over(engine: Engine, answer: Answer, question: str) -> None:
    assert answer.topic == "clinic_questions", (question, answer.topic, answer.confidence)
    assert answer.hand_over
    assert not answer.red_flag and answer.allowed_now is None
    assert engine.clinic.phone and engine.clinic.phone in answer.text


def test_a_care_answer_is_not_a_hand_over(engine: Engine) -> None:
    answer = engine.answer("when can i wear makeup again", P, day=1)
    assert answer.topic == "makeup" and not answer.hand_over


def test_the_hand_over_is_declared_in_the_knowledge_base(engine: Engine) -> None:
    procedure = engine.procedure(P)
    assert "clinic_questions" in procedure.hand_overs
    entry = procedure.entry("clinic_questions")
    assert entry is not None and entry.kind.value == "conversation"
