"""Keyword pull: one word does not carry a confident answer when the rest of the question is about something
else or nothing the knowledge base knows. Phrasings written for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine

P = "microneedling"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("is it fine to splash some water on my face tonight", "washing_cleansing"),
        ("how many glasses of water should i be drinking", "hydration_water"),
        ("what should i be expecting over the next few days", "redness_swelling"),
        ("my sister is expecting, can she have it done", "pregnancy"),
        ("that was helpful, thank you", "thanks"),
        ("i have loads of little spots and pimples", "breakouts_acne"),
    ],
)
def test_the_words_around_a_keyword_decide(engine: Engine, question: str, topic: str) -> None:
    assert engine.answer(question, P, day=2).topic == topic


@pytest.mark.parametrize(
    ("question", "procedure", "topic"),
    [
        # Itchy and asking how to stop scratching: the itch, not picking.
        ("so itchy today, how can i stop myself scratching it", "chemical_peel", "itching"),
        ("the urge to scratch is unreal", "microneedling", "itching"),
        # Burning or stinging in the first hours after a peel is the normal sting, not pain days later.
        (
            "how long is the stinging supposed to last, it's been an hour",
            "chemical_peel",
            "frosting_stinging",
        ),
        # Lips smaller than on day 2 is the swelling going, not one side against the other.
        (
            "day 5 and my lips look smaller than on day 2, has it all gone already?",
            "dermal_filler",
            "results_timeline",
        ),
        ("my left cheek looks smaller than the right", "dermal_filler", "asymmetry_settling"),
        # The words of one entry inside a question about another.
        ("does a hard workout routine make it dissolve quicker", "dermal_filler", "longevity"),
        ("there's a tiny hard bead in my top lip, will it go on its own", "dermal_filler", "lumps_massage"),
        ("i have a root canal booked, is that a problem", "dermal_filler", "dental_work"),
        ("mineral or chemical sunscreen, which should i use", "chemical_peel", "sun_sunscreen"),
        ("my face looks like i fell asleep on the beach", "microneedling", "redness_swelling"),
        ("how to stop itching without scratching it", "chemical_peel", "itching"),
        ("does my metabolism make the filler vanish quicker", "dermal_filler", "longevity"),
        ("will insurance pay for it", "chemical_peel", "clinic_questions"),
        # "the difference between" is not the time between top-ups.
        ("how do you tell the difference between a lump and a nodule", "dermal_filler", "delayed_nodules"),
        # A kind of peel named with it is part of its name, not something else the question asks about.
        ("how long does the redness last after a jessner peel", "chemical_peel", "redness_swelling"),
        # Exercise named by its class or brand, drinking by where it happens, booking by when it can be.
        ("is a peloton class ok yet", "microneedling", "exercise_sweating"),
        ("going to the pub tonight, is that ok", "dermal_filler", "alcohol_smoking"),
        ("do you have evening appointments", "chemical_peel", "clinic_questions"),
        ("how do i get the dried blood off tonight", "microneedling", "washing_cleansing"),
        ("how long will the numbness from the lidocaine last", "dermal_filler", "pain_discomfort"),
        ("tiny hard balls in my lip, i can feel them with my tongue", "dermal_filler", "lumps_massage"),
        ("does it hurt once the numbing wears off", "dermal_filler", "pain_discomfort"),
        # Filler going away faster is about how long it lasts.
        ("does anything make filler go away faster", "dermal_filler", "longevity"),
        # Marks where the needle went in are injection points, not redness.
        ("tiny red dots where the needle went in, normal?", "dermal_filler", "bruising_bleeding_pinpoint"),
        # How many treatments, named by the procedure's own name.
        ("how many chemical peels will clear my melasma", "chemical_peel", "sessions_frequency"),
        # Brands say what a product is.
        ("is it ok to put my charlotte tilbury back on", "chemical_peel", "makeup"),
        ("can i use my cerave hydrating cleanser tonight", "microneedling", "washing_cleansing"),
        ("is heliocare ok over the lips", "dermal_filler", "sun_sunscreen"),
        # A keyword of several short words counts ("even out"), though each alone is a stopword.
        ("will they even out", "dermal_filler", "asymmetry_settling"),
        ("could i just do it myself", "microneedling", "clinic_questions"),
        ("which of your nurses is best", "microneedling", "clinic_questions"),
        # "speed" is not stemmed into nothing; lifting weights is exercise.
        ("could i have it every 2 weeks to speed things up", "microneedling", "sessions_frequency"),
        ("when can i go back to lifting at the gym", "dermal_filler", "exercise_sweating"),
        # A peel named by its strength still names the treatment.
        ("a day at the beach 10 days after a medium depth peel, thoughts?", "chemical_peel", "sun_sunscreen"),
        # "my peel" names the treatment; "will I peel" asks about peeling.
        ("do i still need spf after my peel if i stay home all week", "chemical_peel", "sun_sunscreen"),
        ("when will i start to peel", "chemical_peel", "peeling_dryness_flaking"),
        # How the skin feels, in patients' words.
        ("day 2 and my skin feels like cling film", "chemical_peel", "peeling_dryness_flaking"),
        ("is slugging ok tonight", "microneedling", "moisturizer_serums"),
        # "following" keeps its own form, so "follow up" is a thing asked about, not a frame word.
        ("is the follow up appointment really needed", "dermal_filler", "sessions_frequency"),
        ("dry patches round my mouth, what helps", "microneedling", "peeling_dryness_flaking"),
        ("are you open on saturdays", "chemical_peel", "clinic_questions"),
        # A search's place word says nothing.
        ("how long do cheek fillers last uk", "dermal_filler", "longevity"),
    ],
)
def test_the_thing_asked_about_decides_in_every_procedure(
    engine: Engine, question: str, procedure: str, topic: str
) -> None:
    assert engine.answer(question, procedure, day=2).topic == topic


@pytest.mark.parametrize(
    "question",
    [
        "is microneedling actually helpful for people with rosacea and broken capillaries on the nose",
        "did i just age a decade overnight",
        "my neighbour swears by castor oil packs for her liver, any thoughts",
    ],
)
def test_a_keyword_among_unknown_words_does_not_answer_confidently(engine: Engine, question: str) -> None:
    answer = engine.answer(question, P, day=3)
    assert answer.topic is None, (answer.topic, answer.confidence)


def test_stemming_keeps_expecting_apart_from_expect(engine: Engine) -> None:
    language = engine.kb.language
    assert language.stem("expecting") != language.stem("expect")
    assert language.stem("peeling") == language.stem("peel")  # no procedure is called "peel" here


def test_a_word_whose_stem_is_a_one_word_procedure_name_keeps_its_own_form(engine: Engine) -> None:
    from bot.core.language import Reader

    reader = Reader(engine.kb.language, ["peel", "chemical peel"])
    assert reader.stem("peeling") == "peeling"  # the symptom, not the procedure
    assert reader.stem("peels") == reader.stem("peel")  # a plural still names it
    assert reader.stem("flaking") == engine.kb.language.stem("flaking")


def test_coverage_is_reported_with_the_ranking(engine: Engine) -> None:
    matcher = engine.matchers[P]
    pulled = matcher.score("is microneedling helpful for rosacea and broken capillaries")[0]
    clean = matcher.score("how long until i can wear makeup")[0]
    assert clean.entry_id == "makeup" and clean.coverage == 1.0
    assert pulled.coverage < 0.5
