"""Questions in patients' own words (typos included) reach the right entry; unknown ones abstain."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine

P = "microneedling"

# Written for this project (not taken from any evaluation set): phone-style, misspelt, short and long.
QUESTIONS = [
    ("can i put my retinol back on tonight", "retinoids"),
    ("when am i allowed my tret again", "retinoids"),
    ("is retinal ok yet", "retinoids"),
    ("when can i go back to my differin gel", "retinoids"),
    ("can I use my glycolic toner", "acids_exfoliants"),
    ("is it too soon for a face scrub", "acids_exfoliants"),
    ("salicylic acid cleanser ok?", "acids_exfoliants"),
    ("can i use my vit c serum in the morning", "vitamin_c"),
    ("is ascorbic acid ok after the treatment", "vitamin_c"),
    ("can i wear make up to work tomorrow", "makeup"),
    ("when can i put foundation on", "makeup"),
    ("is concealer ok", "makeup"),
    ("do i need spf", "sun_sunscreen"),
    ("can i sit in the sun in the garden", "sun_sunscreen"),
    ("can i go on a sunbed next week", "sun_sunscreen"),
    ("how should i wash my face tonight", "washing_cleansing"),
    ("what cleanser should i use", "washing_cleansing"),
    ("what moisturiser can i use", "moisturizer_serums"),
    ("is hyaluronic acid serum ok", "moisturizer_serums"),
    ("when can i go back to the gym", "exercise_sweating"),
    ("can i do excersize tomorrow", "exercise_sweating"),
    ("is hot yoga ok this week", "exercise_sweating"),
    ("can i go swimming at the weekend", "swimming_sauna_heat"),
    ("is the sauna ok", "swimming_sauna_heat"),
    ("can i have a glass of prosecco tonight", "alcohol_smoking"),
    ("is vaping ok after", "alcohol_smoking"),
    ("when can i shave my beard", "shaving_hair_removal"),
    ("can i get my eyebrows threaded", "shaving_hair_removal"),
    ("when can i get botox", "other_treatments"),
    ("how long until i can have a chemical peel", "other_treatments"),
    ("my face is really red is that normal", "redness_swelling"),
    ("how long does the swelling last", "redness_swelling"),
    ("my skin is peeling on my chin", "peeling_dryness_flaking"),
    ("my face feels so dry and tight", "peeling_dryness_flaking"),
    ("why is my face so itchy", "itching"),
    ("my face stings a bit", "pain_discomfort"),
    ("what can i take for the soreness", "pain_discomfort"),
    ("i have little blood spots on my forehead", "bruising_bleeding_pinpoint"),
    ("is it normal to bruise under my eyes", "bruising_bleeding_pinpoint"),
    ("i have loads of little spots and pimples", "breakouts_acne"),
    ("tiny white bumps appeared, is that milia", "breakouts_acne"),
    ("how would i know if it is infected", "infection_signs"),
    ("can you be allergic to the numbing cream", "allergic_reaction"),
    ("i get cold sores, will this set one off", "cold_sores_herpes"),
    ("when will i see results", "results_timeline"),
    ("how many sessions will i need", "sessions_frequency"),
    ("can i sleep on my side tonight", "sleeping_pillowcase"),
    ("do i need a clean pillowcase", "sleeping_pillowcase"),
    ("can i pick the flakes off", "touching_picking"),
    ("is it ok to touch my face", "touching_picking"),
    ("should i drink more water", "hydration_water"),
    ("how long should the numbing cream stay on", "numbing_preparation"),
    ("how do i get ready for my appointment", "numbing_preparation"),
    ("what actually is microneedling", "procedure_what_is"),
    ("can i take ibuprofen for the pain", "medication"),
    ("i was on accutane last year, is that a problem", "medication"),
    ("is it safe when pregnant", "pregnancy"),
    ("can i fly on thursday", "travel_flying"),
    ("hello", "greeting"),
    ("thank you so much", "thanks"),
    ("what can you help with", "capabilities"),
    ("can i talk to a real person", "human"),
]


@pytest.mark.parametrize(("question", "topic"), QUESTIONS)
def test_question_reaches_its_topic(engine: Engine, question: str, topic: str) -> None:
    answer = engine.answer(question, P, day=3)
    assert answer.topic == topic, (question, answer.topic, answer.confidence)
    assert answer.confidence >= engine.matchers[P].threshold


def test_every_canonical_topic_is_exercised(engine: Engine) -> None:
    covered = {topic for _, topic in QUESTIONS}
    canonical = set(engine.procedure(P).topics)
    assert len(canonical) >= 30
    assert canonical <= covered


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("can i wear makeup and go to the gym tomorrow?", ("makeup", "exercise_sweating")),
        ("When can I use retinol? And is the sauna ok?", ("retinoids", "swimming_sauna_heat")),
        ("can i drink wine tonight, also can i shave", ("alcohol_smoking", "shaving_hair_removal")),
    ],
)
def test_two_questions_get_two_answers(engine: Engine, question: str, expected: tuple[str, ...]) -> None:
    answer = engine.answer(question, P, day=1)
    assert answer.topics == expected
    assert answer.topic == expected[0]
    assert len(answer.sections) >= 2


def test_description_then_question_answers_the_question(engine: Engine) -> None:
    answer = engine.answer("my face is dry and flaky, can i scratch it?", P, day=3)
    assert answer.topic == "touching_picking"
    assert answer.topics == ("touching_picking",)


@pytest.mark.parametrize(
    "question",
    ["do you sell gift cards", "what time do you close on saturday", "can my dog eat grapes", "asdfghjkl"],
)
def test_unknown_questions_abstain_honestly(engine: Engine, question: str) -> None:
    answer = engine.answer(question, P, day=2)
    assert answer.topic is None
    assert answer.topics == ()
    assert answer.allowed_now is None
    assert answer.text  # says it does not know, or offers suggestions


def test_abstaining_offers_at_most_three_suggestions_with_titles(engine: Engine) -> None:
    answer = engine.answer("what about my skin", P, day=2)
    assert answer.topic is None
    assert len(answer.suggestions) <= 3
    for suggestion in answer.suggestions:
        assert suggestion.title in answer.text


def test_zero_width_and_case_do_not_change_the_match(engine: Engine) -> None:
    plain = engine.answer("can i use retinol", P, day=2)
    noisy = engine.answer("CAN I USE RE\u200bTI\u200dNOL??", P, day=2)
    assert noisy.topic == plain.topic == "retinoids"


def test_empty_message_gets_a_prompt_not_an_answer(engine: Engine) -> None:
    answer = engine.answer("   ", P, day=2)
    assert answer.topic is None
    assert answer.text.strip()


def test_words_patients_type_are_not_remembered_unless_they_are_typos_of_known_words(engine: Engine) -> None:
    matcher = engine.matchers[P]
    engine.answer("my neighbour zyxwvutsrq said retinoll is fine", P, day=2)
    assert "zyxwvutsrq" not in matcher._corrections
    assert "neighbour" not in matcher._corrections
    assert all(value in matcher.vocabulary for value in matcher._corrections.values())


def test_what_the_procedure_treats_does_not_pull_towards_a_topic(engine: Engine) -> None:
    assert engine.answer("how soon will my acne scars look better", P).topic == "results_timeline"
    assert engine.answer("how many sessions do acne scars need", P).topic == "sessions_frequency"
    assert engine.answer("will my insurer pay for acne scars treatment", P).topic is None
