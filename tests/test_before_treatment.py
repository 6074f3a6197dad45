"""Questions about the time before the treatment get the preparation answer, never an after-care verdict.
Phrasings written for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine

P = "microneedling"
PREPARATION = "numbing_preparation"


@pytest.mark.parametrize(
    "question",
    [
        "how many days before my appointment do i need to stop my tretinoin",
        "is it ok to have a glass of wine the night before my session",
        "should i avoid aspirin in the days leading up to the treatment",
        "what should i not use on my skin beforehand",
        "can i go on a sunbed the week before my microneedling",
        "can i wear makeup to my appointment",
    ],
)
def test_before_the_treatment_gets_the_preparation_answer_without_a_verdict(
    engine: Engine, question: str
) -> None:
    answer = engine.answer(question, P, day=None)
    assert PREPARATION in answer.topics, (question, answer.topics)
    assert answer.allowed_now is None and answer.allowed_from_day is None
    assert answer.verdicts == ()
    preparation = engine.procedure(P).entry(PREPARATION)
    assert preparation is not None
    assert answer.text.startswith(preparation.answer[:40]) or preparation.answer[:40] in answer.text


def test_even_on_a_known_day_a_question_about_before_has_no_verdict(engine: Engine) -> None:
    # A patient on day 3 asking about their next session: no "not yet" about the thing they name.
    answer = engine.answer("can i take ibuprofen before my next session", P, day=3)
    assert PREPARATION in answer.topics
    assert answer.allowed_now is None
    assert "Not yet" not in answer.text


def test_an_entry_that_speaks_about_the_time_before_leads(engine: Engine) -> None:
    answer = engine.answer("is it necessary to shave before microneedling", P)
    assert answer.topics == ("shaving_hair_removal", PREPARATION)
    assert "before your appointment" in answer.sections[0]  # the shaving answer says when to shave before
    assert answer.allowed_now is None


def test_getting_ready_for_ones_own_appointment_puts_the_preparation_first(engine: Engine) -> None:
    answer = engine.answer("should i shave before i come in for my treatment", P)
    assert answer.topics == (PREPARATION, "shaving_hair_removal")
    assert any("before your appointment" in s for s in answer.sections)  # the shaving answer still follows
    assert answer.allowed_now is None


def test_what_the_checklist_itself_names_gets_the_checklist_first(engine: Engine) -> None:
    # The preparation answer names fish oil and vitamin E: it answers them, then the named entry follows.
    answer = engine.answer("does vitamin e matter before a lip filler appointment", "dermal_filler")
    assert answer.topics[0] == PREPARATION
    answer = engine.answer("should fish oil be stopped before filler", "dermal_filler")
    assert answer.topics[0] == PREPARATION


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("how long before i can wear makeup again", "makeup"),
        ("how long do i have to wait before i can go swimming", "swimming_sauna_heat"),
        ("is it ok to drink wine the day after my microneedling", "alcohol_smoking"),
        ("had my first microneedling on sunday, can i go back to spin class", "exercise_sweating"),
    ],
)
def test_waiting_after_the_treatment_is_not_mistaken_for_before(
    engine: Engine, question: str, topic: str
) -> None:
    answer = engine.answer(question, P, day=1)
    assert answer.topic == topic
    assert answer.allowed_now is False


def test_the_peel_still_on_the_skin_is_not_a_coming_appointment(engine: Engine) -> None:
    answer = engine.answer("how long does the stinging last while the peel is on", "chemical_peel", day=0)
    assert PREPARATION not in answer.topics


def test_a_question_right_after_naming_the_peel_is_not_a_coming_appointment(engine: Engine) -> None:
    # "after my peel, is this normal" once read "peel is this" as "my peel is this (friday)".
    answer = engine.answer("puffy eyes the morning after my peel, is this normal?", "chemical_peel", day=1)
    assert PREPARATION not in answer.topics


def test_stopping_a_product_late_before_the_appointment_is_preparation_not_booking(engine: Engine) -> None:
    question = "only stopped my retinol last night and my peel is tomorrow, should i reschedule"
    assert engine.answer(question, "chemical_peel").topics[0] == PREPARATION


def test_an_entry_that_does_not_itself_tie_the_thing_to_before_comes_after_the_checklist(
    engine: Engine,
) -> None:
    # The bruising answer speaks about the time before, but "arnica" is not its own "before" phrase.
    answer = engine.answer("is it worth taking arnica before microneedling so i bruise less", P)
    assert answer.topics[0] == PREPARATION


@pytest.mark.parametrize(
    ("question", "procedure", "topic"),
    [
        # Waiting for the result, not getting ready.
        ("how long before cheek filler looks natural", "dermal_filler", "results_timeline"),
        # "one" is not "on": "peel, is one week" is not "my peel is on (friday)".
        ("tretinoin after my peel, is one week enough?", "chemical_peel", "retinoids"),
    ],
)
def test_waiting_for_the_result_is_not_the_time_before(
    engine: Engine, question: str, procedure: str, topic: str
) -> None:
    answer = engine.answer(question, procedure, day=3)
    assert answer.topic == topic
    assert PREPARATION not in answer.topics


def test_getting_ready_for_ones_own_appointment_with_nothing_named_gets_the_checklist(engine: Engine) -> None:
    # Nothing but the coming appointment: the checklist answers rather than "did you mean".
    answer = engine.answer(
        "my microneedling appointment is tomorrow, anything to do tonight?", "microneedling"
    )
    assert answer.topic == "numbing_preparation"
    # Naming no appointment of one's own to prepare for, it is still asked back.
    assert (
        engine.answer("can i bring my little one with me to the appointment", "microneedling").topic is None
    )


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        ("filler tomorrow, is a glass of wine tonight ok", "dermal_filler"),
        ("peel tomorrow, can i go to the gym tonight", "chemical_peel"),
    ],
)
def test_the_treatment_tomorrow_is_a_coming_appointment(
    engine: Engine, question: str, procedure: str
) -> None:
    # Not the after-care wait ("restart alcohol from day 1"): the preparation answer, with no verdict.
    answer = engine.answer(question, procedure)
    assert answer.topic == "numbing_preparation"
    assert answer.allowed_now is None


def test_the_days_after_a_coming_appointment_are_not_before_it(engine: Engine) -> None:
    answer = engine.answer("peel tomorrow, what are the rules for the week after?", "chemical_peel")
    assert answer.topic != "numbing_preparation"


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        # Phone shorthand and an appointment named by its day are the time before it.
        ("my appt is next thursday, can i still use retinol until then", "microneedling"),
        ("had my covid jab on monday and my appointment is friday, should i move it", "dermal_filler"),
    ],
)
def test_an_appointment_still_to_come_told_in_shorthand_or_by_its_day(
    engine: Engine, question: str, procedure: str
) -> None:
    answer = engine.answer(question, procedure)
    assert "numbing_preparation" in answer.topics
    assert answer.allowed_now is None


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        # Being ill before one's own appointment: the checklist says when to move it, not a hand-over alone.
        ("streaming head cold and my session is in 3 days, do i still go?", "microneedling"),
        ("got a stinking cold, still go for my peel on friday or call them?", "chemical_peel"),
        ("really bad cold, appointment is in 2 days, should i cancel", "dermal_filler"),
        ("feeling under the weather, can i still have my filler this week", "dermal_filler"),
    ],
)
def test_being_unwell_before_the_appointment_gets_the_preparation_answer(
    engine: Engine, question: str, procedure: str
) -> None:
    answer = engine.answer(question, procedure)
    assert answer.topic == "numbing_preparation", (question, answer.topics)
    assert answer.allowed_now is None
    preparation = engine.procedure(procedure).entry("numbing_preparation")
    assert preparation is not None
    assert "flu" in preparation.answer or "illness" in preparation.answer  # the answer covers being unwell


def test_moving_ones_own_booking_with_nothing_else_told_is_still_for_the_clinic(engine: Engine) -> None:
    answer = engine.answer("my appointment is in 2 days, can i reschedule it", "dermal_filler")
    assert answer.topic == "clinic_questions"
    assert answer.hand_over
