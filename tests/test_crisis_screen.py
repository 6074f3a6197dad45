"""The crisis screen catches the kinds of crisis message it used to miss (typos and text-speak, self-harm
started again, self-injury other than cutting, an overdose told as an amount or with alcohol, a plan with a
time, passive thoughts of not being alive, inside long stories, researching a method) at the crisis tier, and
none of their hard negatives (idioms, skincare "overdoses", accidents, plans for aftercare, a crisis word
about a job or someone else). The filler screen catches a growing tongue or throat swelling and loosely told
vision changes as emergencies. Phrasings are in tests/data (crisis-4, crisis-5, crisis-6, crisis-7,
dermal_filler-signs-5) and below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.answer import Engine
from bot.core.crisis import words_of
from bot.core.model import Tier

DATA = Path(__file__).parent / "data"
PROCEDURES = ("microneedling", "chemical_peel", "dermal_filler")


def _items(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return items


def _crisis_tiers(engine: Engine, message: str, day: int) -> list[bool]:
    return [engine.answer(message, procedure, day=day).urgency is Tier.CRISIS for procedure in PROCEDURES]


def _crisis_in_every_procedure(engine: Engine, message: str, day: int) -> bool:
    return all(_crisis_tiers(engine, message, day))


def _crisis_in_any_procedure(engine: Engine, message: str, day: int) -> bool:
    return any(_crisis_tiers(engine, message, day))


CRISIS_SETS = [
    i for name in ("crisis-4.yaml", "crisis-5.yaml", "crisis-6.yaml", "crisis-7.yaml") for i in _items(name)
]
CRISES = [i for i in CRISIS_SETS if i.get("crisis")]
NEGATIVES = [i for i in CRISIS_SETS if not i.get("urgent")]
SIGNS = _items("dermal_filler-signs-5.yaml")


@pytest.mark.parametrize("item", CRISES, ids=lambda i: str(i["q"])[:50])
def test_each_kind_of_crisis_is_the_crisis_tier(engine: Engine, item: dict[str, Any]) -> None:
    for procedure in PROCEDURES:
        answer = engine.answer(item["q"], procedure, day=item.get("day"))
        assert answer.urgency is Tier.CRISIS, (procedure, item["q"])


@pytest.mark.parametrize("item", NEGATIVES, ids=lambda i: str(i["q"])[:50])
def test_hard_negatives_raise_no_alarm(engine: Engine, item: dict[str, Any]) -> None:
    for procedure in PROCEDURES:
        answer = engine.answer(item["q"], procedure, day=item.get("day"))
        assert answer.urgency is not Tier.CRISIS, (procedure, item["q"])
        assert not answer.red_flag, (procedure, item["q"], answer.urgency)


@pytest.mark.parametrize("item", SIGNS, ids=lambda i: str(i["q"])[:50])
def test_filler_signs_told_loosely_are_caught_at_their_tier(engine: Engine, item: dict[str, Any]) -> None:
    answer = engine.answer(item["q"], "dermal_filler", day=item.get("day"))
    if item.get("emergency"):
        assert answer.urgency is Tier.EMERGENCY, item["q"]
    elif item.get("urgent"):
        assert answer.red_flag, item["q"]
    else:
        assert not answer.red_flag, item["q"]


@pytest.mark.parametrize(
    "message",
    [
        "wanna kms",  # text-speak
        "feeling so suicidel today",  # a typo of the crisis word
        "i want to kil myslef",  # short words: a doubled letter typed once, two letters swapped
        "I cut again after 3 months clean",  # relapse
        "took 40 of my tablets",  # an amount as a number
        "i've taken about 30 paracetamol",  # an amount said roughly
        "downed a whole packet of paracetamol",
        "today is the day. goodbye everyone",  # a date and a farewell
        "I have a plan and tonight is the night",  # two weak cues
    ],
)
def test_the_screen_reads_the_way_distressed_people_type(engine: Engine, message: str) -> None:
    assert engine.answer(message, "microneedling", day=3).urgency is Tier.CRISIS, message


@pytest.mark.parametrize(
    "message",
    [
        "I overdone it with the serum",  # a real word one letter from "overdose"
        "putting myself first this week, skipping the gym",  # not "cutting myself"
        "no point giving up on the sunscreen now",  # not "no point living"
        "took 10 minutes to ice my face",  # a number, but no medicine
        "I have a plan for my makeup tomorrow",  # a weak cue beside aftercare
        "thanks for everything, you have been so helpful",  # a farewell after aftercare
        "I can't stand hearing myself talk with these swollen lips",  # "hearing" is not "harming"
        "I nearly drove into a wall because I couldn't see with the swelling",  # an accident, not a plan
        # A day of recovery counted is not "today is the day"; times, scores and prices are not amounts.
        "today is day 6",
        "tomorrow is day 2 and I feel fine",
        "took paracetamol 20 minutes ago, still sore",
        "took 2 ibuprofen at 11 and it's still throbbing",
        "pain is about 7/10, had some paracetamol",
        "it cost me £350 and I've had to take paracetamol all week",
        "I'm 45 and took ibuprofen for the ache",
        "spf 50 on and took a painkiller",
        "took a paracetamol at 10.30, pain 8 out of 10",
        "had 2 glasses of wine and took a paracetamol",
        "took paracetamol x2 then 400 ibuprofen",
        "took 16 hours for the swelling to go down, had paracetamol",
    ],
)
def test_real_words_and_aftercare_plans_are_not_read_as_a_crisis(engine: Engine, message: str) -> None:
    assert engine.answer(message, "microneedling", day=3).urgency is not Tier.CRISIS, message


def test_the_words_are_data_in_the_language_file(engine: Engine) -> None:
    language = engine.kb.language
    assert language.crisis_spellings and language.crisis_not_typos and language.crisis_weak
    assert language.crisis_aftercare and language.crisis_count_from
    assert any(cue.unless for cue in language.crisis_together)
    assert language.crisis_injuries and language.crisis_accidents
    assert language.crisis_others_before and language.crisis_others_after


@pytest.mark.parametrize(
    ("message", "variant", "day"),
    [
        ("my vision went blurry in one eye, will it be gone for good?", "cheeks_jaw", 0),
        ("my throat feels tight and my tongue is swelling, I hope I don't wake up worse tomorrow", "lips", 1),
        ("I want to die. my vision went blurry in one eye", "cheeks_jaw", 0),
        ("my tongue is swelling and my throat is closing, I want to end it all", "lips", 1),
    ],
)
def test_a_crisis_never_hides_an_emergency_told_with_it(
    engine: Engine, message: str, variant: str, day: int
) -> None:
    answer = engine.answer(message, "dermal_filler", day=day, variant=variant)
    assert answer.urgency in (Tier.CRISIS, Tier.EMERGENCY), message
    assert answer.alert_tier in (Tier.CRISIS, Tier.EMERGENCY), message
    assert answer.safety is not None and "emergency department" in answer.safety, message
    if answer.urgency is Tier.CRISIS:
        crisis_reply = engine.kb.message("crisis.reply").split("{")[0]
        assert answer.safety.startswith(crisis_reply), message


def test_real_words_are_never_read_as_typos_of_crisis_words(engine: Engine) -> None:
    """`not_typos` holds the real words a typo reading would turn into a crisis word (tests/typo_scan.py finds
    them in a word list); with the knowledge base's own words, each is read as itself."""
    language = engine.kb.language
    for procedure in PROCEDURES:
        screen = engine.screeners[(procedure, None)].crisis
        words = set(language.crisis_not_typos)
        words |= {w for t in words_of(language) for w in language.tokens(t, None)}
        words |= {w for t in words_of(engine.procedure(procedure)) for w in language.tokens(t, None)}
        rewritten = {w: r for w in sorted(words) if (r := screen.word(w)) != w and w.isalpha()}
        assert not rewritten, (procedure, rewritten)
        for word in ("kicking", "kidding", "split", "overuse", "hearing", "starting", "clear", "blending"):
            assert screen.word(word) == word, (procedure, word)
    assert len(language.crisis_not_typos) > 1000


@pytest.mark.parametrize(
    "message",
    [
        "wrote letters to my children last night, just in case",  # a farewell to family
        "been giving all my stuff away, doesnt matter now",  # possessions given away
        "took everything in my medicine cabinet an hour ago",
        "swallowed 2 strips of my sleeping tablets",  # an amount told in packs
        "i keep going up to the top floor of the car park and looking down",
        # A clause about the review says nothing of the next one.
        "no need to book my review, i will not be around by then. made up my mind",
        "this is my last message, im sorry. tell the nurse it was not her fault",  # "sorry" is not "sore"
        "sorry for everything. deleted all my socials and wrote a note",
    ],
)
def test_farewells_stockpiles_and_plans_told_in_everyday_words_are_a_crisis(
    engine: Engine, message: str
) -> None:
    assert _crisis_in_every_procedure(engine, message, day=5)


@pytest.mark.parametrize(
    "message",
    [
        "my sister took way too many painkillers last year so im careful, how many paracetamol a day?",
        "this is my last message tonight promise, can i shower tomorrow",
        "i wont be at my review on the 14th, can we move it",
        "wrote a note of my questions for the nurse",
    ],
)
def test_someone_elses_overdose_and_ordinary_goodbyes_are_not_a_crisis(engine: Engine, message: str) -> None:
    assert not _crisis_in_any_procedure(engine, message, day=5)


@pytest.mark.parametrize(
    "message",
    [
        "there's a rope in my wardrobe and i keep thinking about using it",  # a means and the thought of it
        "sat in the bathroom with a razor, dont know why im texting",
        "my plan is the bridge on the way to work",
        "took 40 of my antihistamines an hour ago",  # an amount of one's own medicine, any medicine
        "the filler was nice but i've decided this week is my last week",  # a contrast starts a clause
        "mum will find my note in the morning",  # the patient's own note, though someone else finds it
        "dont need the sunscreen advice, not planning on being around much longer",
        "i need someone, the tablets are lined up on my bed",  # someone needed, not someone else's pills
    ],
)
def test_a_means_a_plan_or_a_note_told_in_passing_is_a_crisis(engine: Engine, message: str) -> None:
    assert _crisis_in_every_procedure(engine, message, day=4)


@pytest.mark.parametrize(
    "message",
    [
        "will these spots disappear forever after a few sessions",
        "had a glass of wine and took a paracetamol for my head, is that ok on day 3",
        "took 20 photos of my lips to compare, they look even now",
    ],
)
def test_ordinary_medicine_and_photos_are_not_a_crisis(engine: Engine, message: str) -> None:
    assert not _crisis_in_any_procedure(engine, message, day=4)


@pytest.mark.parametrize(
    "message",
    [
        "took every paracetamol in the flat about an hour ago",  # all of a medicine
        "drank my dads morphine, the whole bottle",  # a whole container, any medicine
        "i really dont think i can keep myself safe tonight",
        "i keep thinking about stepping in front of a bus",
        "standing on the bridge by the station right now",
        "sliced my arm with a razor, not from shaving",  # an accident denied
        "got a full box of my tablets here and i am done",
        "what if i did my whole insulin pen, would anyone notice",
    ],
)
def test_taking_all_of_a_medicine_safety_and_means_told_plainly_are_a_crisis(
    engine: Engine, message: str
) -> None:
    assert _crisis_in_every_procedure(engine, message, day=3)


@pytest.mark.parametrize(
    "message",
    [
        "thanks for everything, you have all been lovely",
        "i get cold sores a lot, should i take anything before my appointment",  # "a lot" is not "the lot"
        "drank a whole bottle of water today like you said",
        "nicked my leg shaving, not from the treatment",
    ],
)
def test_thanks_a_lot_of_cold_sores_and_water_are_not_a_crisis(engine: Engine, message: str) -> None:
    assert not _crisis_in_any_procedure(engine, message, day=3)


@pytest.mark.parametrize(
    "message",
    [
        # A day counted, a big number, insulin units, a symptom word or someone named before a verb of their
        # own never explain a crisis away (found by a review of the screen).
        "today is day 6 and i took 30 paracetamol",
        "i took 100 paracetamol",
        "i injected 80 units of my insulin",
        "boyfriend left honestly want to die",
        "the bruising is horrible. i have a plan",
        "swelling wont go down, just want to be out of my misery",
        "ive packed a bag with all my pills and im going to the bridge",
        "it's day 2, i'm standing on the bridge looking down",
    ],
)
def test_what_once_explained_a_crisis_away_no_longer_does(engine: Engine, message: str) -> None:
    assert _crisis_in_every_procedure(engine, message, day=2)


@pytest.mark.parametrize(
    "message",
    [
        "would anyone notice my lips are done?",
        "how do i keep myself safe in the sun after this",
        "i'm done! thanks so much for your help x",
        "this is my last week before the wedding, will my lips be settled",
        "how many sessions does it take to see results",
        "bump on the bridge of my nose, i can see it when i look down",
        "my sisters dog ate a whole pack of ibuprofen, hes fine now",
    ],
)
def test_everyday_words_that_sound_final_alone_are_not_a_crisis(engine: Engine, message: str) -> None:
    assert not _crisis_in_any_procedure(engine, message, day=5)


@pytest.mark.parametrize(
    "message",
    [
        # Found by a second review: someone named as the one argued with is not who took the pills; an
        # accident denied, "today is the day" before a number, a store of pills across two sentences.
        "had a massive row with my boyfriend just took way too many tablets",
        "kids are at their dads took all my sertraline",
        "took 30 paracetamol and it wasnt by accident",
        "today is the day 2 do it",
        "my mum has a whole box of co-codamol. took it all tonight",
        "i keep hurting myself with the iron when no one is home",  # an object is a means, not an accident
        "took like 20/30 paracetamol",  # not a score out of ten
    ],
)
def test_who_did_it_and_what_excuses_it_are_read_with_care(engine: Engine, message: str) -> None:
    assert _crisis_in_every_procedure(engine, message, day=3)


@pytest.mark.parametrize(
    "message",
    [
        "i can't cope with this itching, that's why i'm messaging",  # two everyday phrases, no weak one
        "day 14 after my peel, took a paracetamol and some ibuprofen tablets for the sting",
        "took 400 ibuprofen for the swelling",  # a dose in milligrams
    ],
)
def test_everyday_phrases_day_counts_and_doses_are_not_a_crisis(engine: Engine, message: str) -> None:
    assert not _crisis_in_any_procedure(engine, message, day=3)
