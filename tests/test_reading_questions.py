"""How the matcher reads a question: grammar words keep their form, keywords read like questions, real words
are not 'corrected', denied signs are not asked about, list items continue a question, a question about
someone else is not the patient's aftercare, and an appointment still to come is 'before'. Phrasings written
for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.text import Stemming, stem

MN, PEEL, FILLER = "microneedling", "chemical_peel", "dermal_filler"


def test_grammar_words_are_never_stemmed_and_nothing_stems_into_a_negation(engine: Engine) -> None:
    language = engine.kb.language
    assert language.stem("does") == "does"
    assert language.stem("nothing") == "nothing"
    assert language.stem("note") != "not"
    rules = Stemming(function_words=frozenset({"does"}), negations=frozenset({"not"}), shortest=3)
    assert stem("does", rules) == "does"


def test_a_doubled_letter_left_by_a_dropped_y_is_undoubled(engine: Engine) -> None:
    assert engine.kb.language.stem("sunny") == engine.kb.language.stem("sun")


def test_split_words_in_keywords_read_like_the_question(engine: Engine) -> None:
    # "cold sores" is merged into one word in questions; the keyword written with a space matches it.
    answer = engine.answer("any tips to stop cold sores coming back after a peel", PEEL)
    assert answer.topic == "cold_sores_herpes"


def test_a_real_word_is_not_replaced_by_a_near_keyword(engine: Engine) -> None:
    matcher = engine.matchers[MN]
    assert "spot" in matcher.stems("my spots are back")


@pytest.mark.parametrize(
    ("question", "procedure", "topic"),
    [
        ("no pus, no fever, only a bit of swelling around the lips", FILLER, "redness_swelling"),
        ("not seeing any pus or crust, just some flaking, is that ok", MN, "peeling_dryness_flaking"),
    ],
)
def test_denied_signs_are_not_what_is_asked_about(
    engine: Engine, question: str, procedure: str, topic: str
) -> None:
    answer = engine.answer(question, procedure, day=3)
    assert not answer.red_flag
    # The denied signs point nowhere: the answer is the symptom asked about, or a question back offering it.
    assert answer.topic == topic or topic in {s.id for s in answer.suggestions}, answer.topics


def test_a_short_list_item_continues_the_question(engine: Engine) -> None:
    answer = engine.answer("when can i go to the gym and the steam room", MN, day=1)
    assert set(answer.topics) == {"exercise_sweating", "swimming_sauna_heat"}


def test_a_new_statement_after_and_is_not_a_list_item(engine: Engine) -> None:
    answer = engine.answer("can I wear makeup and the skin is dry", MN, day=3)
    assert answer.topic == "makeup"


@pytest.mark.parametrize(
    "question",
    [
        "my son burnt his arm on the oven, what cream should he use",
        "can you suggest a gentle cleanser for my mum, her skin is dry",
    ],
)
def test_a_question_about_someone_else_is_asked_back(engine: Engine, question: str) -> None:
    answer = engine.answer(question, MN, day=3)
    assert answer.topic is None


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        ("how long is the bruising after a facelift", MN),
        ("is it normal to be this swollen following a nose job", FILLER),
        ("deep peel recovery time, how many weeks off work", "chemical_peel"),
        ("is it normal to feel tender following a hair transplant", "chemical_peel"),
        ("how long is the bruising from a thread lift", FILLER),
        ("what is the recovery time for a facelift", MN),
        # A comparison with another treatment is a choice for the clinic, even naming the patient's own.
        ("microneedling or a fractional laser, which is better for scars", MN),
        ("is dermaplaning better than a peel for dull skin", "chemical_peel"),
        # Another treatment's own course, even one the chosen entry knows by name.
        ("cheek filler aftercare, do i have to sleep upright", MN),
        ("how long till the swelling goes down after lip filler", "chemical_peel"),
        ("botox day 4 and my forehead feels heavy, normal?", MN),
        # What another treatment does, asked with it as the subject, is not the wait between the two.
        ("can botox help with my headaches", MN),
        ("does a thread lift last longer than this", FILLER),
        ("is lip blushing the same as this", FILLER),
    ],
)
def test_a_question_about_another_treatment_is_asked_back(
    engine: Engine, question: str, procedure: str
) -> None:
    answer = engine.answer(question, procedure, day=3)
    assert answer.topic is None, (question, answer.topic)


@pytest.mark.parametrize(
    ("question", "procedure", "topic"),
    [
        # The patient's own treatment named too, or the other one only as what comes next.
        ("how long after microneedling can i have botox", MN, "other_treatments"),
        # The wait between the two, with the patient's own treatment left unsaid.
        ("how long after my botox can i get this done", MN, "other_treatments"),
        ("can botox be done the same day", "chemical_peel", "other_treatments"),
        ("is botox ok a week later", FILLER, "other_treatments"),
        ("I also have botox booked next month, can I drink wine tonight", MN, "alcohol_smoking"),
        ("is swelling after a deep peel the same as after my peel", "chemical_peel", "redness_swelling"),
    ],
)
def test_another_treatment_beside_the_patients_own_keeps_it_answered(
    engine: Engine, question: str, procedure: str, topic: str
) -> None:
    assert engine.answer(question, procedure, day=3).topic == topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("my partner keeps trying to kiss me, is that ok yet", "kissing_lips"),
        ("my sister is pregnant, can she have it done", "pregnancy"),
    ],
)
def test_the_patient_or_the_treatment_in_the_question_keeps_it_answered(
    engine: Engine, question: str, topic: str
) -> None:
    procedure = FILLER if topic == "kissing_lips" else MN
    assert engine.answer(question, procedure, day=1).topic == topic


@pytest.mark.parametrize(
    "question",
    [
        "my microneedling is next friday, can I keep using my vitamin c until then",
        "my filler appointment is tomorrow, should I avoid fish oil",
        "can I come in with my usual foundation on",
        "i have a microneedling appointment on the 3rd, can i get my lip waxed this week",
        "my peel is thursday, is it ok to use my glycolic toner until then",
        "having microneedling tomorrow, can i have a glass of wine tonight",
    ],
)
def test_an_appointment_still_to_come_gets_no_after_care_verdict(engine: Engine, question: str) -> None:
    procedure = FILLER if "filler" in question else "chemical_peel" if "peel" in question else MN
    answer = engine.answer(question, procedure)
    assert "numbing_preparation" in answer.topics, answer.topics
    assert answer.allowed_now is None


def test_the_time_between_sessions_is_not_before_the_treatment(engine: Engine) -> None:
    answer = engine.answer("how long should i leave it before my next round", MN)
    assert answer.topic != "numbing_preparation"


def test_a_plural_reads_as_the_keyword_it_joins_into(engine: Engine) -> None:
    # "med spa" is one word for the knowledge base ("medspa"): "med spas" is its plural, not "med" (medicine).
    assert engine.answer("are med spas any good for this", MN, day=5).topic == "clinic_questions"
    # Stems alone would join "calm my" into "calm": only a plural ending joins.
    assert "calmmy" not in engine.matchers[MN].stems("how do i calm my skin")


def test_a_nurse_is_not_nursing(engine: Engine) -> None:
    # "nursing" (a baby) keeps its own form: a question about who treats is not about breastfeeding.
    answer = engine.answer("would a nurse or a doctor be better to do mine", FILLER, day=5)
    assert answer.topic == "clinic_questions"
    assert engine.answer("is it ok while I'm still nursing my baby", FILLER, day=5).topic == "pregnancy"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # A question part that points back ("it", "them") to a story clearly about another entry.
        ("hardly any flaking after my peel. did it actually work?", "no_peeling"),
        ("my eyes are really puffy this morning, should i put a cold spoon on them", "redness_swelling"),
        # What the part names itself still leads.
        ("my skin is flaking a lot on day 4, can I put my retinol on it?", "retinoids"),
    ],
)
def test_a_question_that_points_back_is_read_with_its_story(
    engine: Engine, question: str, topic: str
) -> None:
    assert engine.answer(question, PEEL, day=3).topic == topic


def test_a_kind_of_peel_names_the_treatment_not_peeling(engine: Engine) -> None:
    # A word of its names or a kind of peel may stand between the determiner and "peel".
    stems = engine.matchers[PEEL].stems
    assert "peel" not in stems("two days after a glycolic peel")
    assert "peel" not in stems("my tca peel was on monday")
    # Without a determiner before them, "peel" is still the skin peeling.
    assert "peel" in stems("will my skin peel")
    assert "peel" in stems("when will it start to peel")


def test_stems_do_not_merge_a_ride_with_getting_rid_or_a_bite_with_a_bit(engine: Engine) -> None:
    stems = engine.matchers[PEEL].stems
    assert stems("a bike ride")[-1] != stems("get rid")[-1]
    assert engine.matchers[FILLER].stems("a bite")[-1] != engine.matchers[FILLER].stems("a bit")[-1]
    # Nor skin care with a car, hating one's lips with a hat, or an injection site with sitting.
    for one, other in (("care", "car"), ("hate", "hat"), ("site", "sit")):
        assert stems(one) != stems(other), (one, other)


@pytest.mark.parametrize(
    ("question", "procedure", "topic"),
    [
        ("got the dentist booked 3 days after my cheek filler, should i move it?", FILLER, "dental_work"),
        # Cancelling or rescheduling what the story names is not booking with the clinic.
        (
            "had lip filler saturday and the hygienist is booked for thursday, do i need to reschedule?",
            FILLER,
            "dental_work",
        ),
        ("hydrafacial or microneedling, which would you choose?", MN, None),
        ("how long before my wedding should i have my last peel", PEEL, "downtime"),
    ],
)
def test_what_a_question_part_leaves_unsaid_comes_from_the_rest(
    engine: Engine, question: str, procedure: str, topic: str | None
) -> None:
    # "move it" points back to the dentist; "which would you choose" compares treatments; a wedding to
    # plan for is not the appointment to prepare for.
    assert engine.answer(question, procedure, day=0).topic == topic


def test_an_itch_and_the_scratching_it_causes_is_about_itching(engine: Engine) -> None:
    # The itch is the subject; scratching is what it makes one do.
    question = "Itchy skin after microneedling and how to stop yourself scratching"
    assert engine.answer(question, MN, day=3).topic == "itching"


def test_something_already_booked_is_not_a_booking_question(engine: Engine) -> None:
    # "booked" tells when something is; booking with the clinic is "book".
    question = "root canal booked for next week and I just had cheek filler, do I need to cancel?"
    assert engine.answer(question, FILLER, day=0).topic == "dental_work"
    assert engine.answer("how do i book my next peel", PEEL).topic == "clinic_questions"


def test_which_peel_suits_a_skin_type_is_about_peel_types_not_candidacy_or_darkening(engine: Engine) -> None:
    assert engine.answer("lactic vs mandelic peel for darker skin tones", PEEL).topic == "peel_types_depth"
    # Fear of darkening is not a report of it.
    answer = engine.answer("which peel suits brown skin? terrified of hyperpigmentation", PEEL)
    assert answer.topic == "peel_types_depth"
    assert not answer.red_flag and answer.urgency is None


def test_how_many_treatments_before_a_difference_is_about_sessions(engine: Engine) -> None:
    question = "how many peels before you see a difference in melasma?"
    assert engine.answer(question, PEEL).topic == "sessions_frequency"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("how long before i can lift heavy after jawline filler", "exercise_sweating"),  # not a heavy feeling
        ("will my lips be sore once the numbing wears off?", "pain_discomfort"),  # after, not the procedure
        ("can i go back for more next month, i want them fuller", "sessions_frequency"),  # not uneven sides
        ("day 6 and my lips have gone back to normal, did the filler dissolve already?", "results_timeline"),
        ("i hate my lip filler, can it be dissolved?", "dissolving_hyaluronidase"),
    ],
)
def test_filler_questions_whose_words_belong_to_another_entry(
    engine: Engine, question: str, topic: str
) -> None:
    assert engine.answer(question, FILLER, day=6).topic == topic


def test_a_bare_detail_added_with_and_is_read_with_the_question_before_it(engine: Engine) -> None:
    # "... and spf 50" is not a second question: the sun, not the walk, is what is asked about.
    question = "is walking my dog in the evening sun ok the day after my session if i wear a visor and spf 30"
    assert engine.answer(question, MN, day=2).topic == "sun_sunscreen"
    # A question after a question mark, or a list after a comma, is still its own part.
    assert (
        engine.answer("How Long After Fillers Can I Exercise? Expert Advice.", FILLER).topic
        == "exercise_sweating"
    )


def test_a_story_that_names_nothing_else_leaves_the_question_its_answer(engine: Engine) -> None:
    # The party is only the occasion: the drinks are what is asked about.
    question = (
        "peel this morning and it's my mate's leaving do tonight. will a couple of proseccos ruin my skin?"
    )
    assert engine.answer(question, PEEL, day=0).topic == "alcohol_smoking"
    # A story that names something else more strongly still leads: nursing, not booking.
    assert engine.answer("I'm still breastfeeding my baby, can I book?", MN).topic == "pregnancy"
