"""How the warning-sign screen reads a message: a phrase's words in their order, stories counted in words that
say something, a change of colour that is not settling, split words, questions about signs in general, what
the clinic said to expect, and signs that were missed before. Phrasings written for this test."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.model import Tier

MN, PEEL, FILLER = "microneedling", "chemical_peel", "dermal_filler"


def _tier(engine: Engine, message: str, procedure: str, day: int | None) -> Tier | None:
    screening = engine.screen(message, procedure, day)
    return screening.tier if screening is not None else None


@pytest.mark.parametrize(
    ("message", "procedure", "day"),
    [
        # A phrase's words close together count in their order only: "red ... still" is not "still red".
        ("little red bumps all over, still?", MN, 6),
        # The procedure's own name is not a sign word.
        ("do chemical peels usually burn a bit?", PEEL, 2),
        # A split one-word sign ("cold sores") is one word: its "cold" is not a cold lip.
        ("how common are cold sores after lip filler", FILLER, 2),
        # Questions about signs in general.
        ("are blisters normal after a deeper peel?", PEEL, None),
        ("what does it mean if you get blisters after a peel", PEEL, None),
        ("can a peel give you an infection", PEEL, None),
        # "now" in "now and then" is not something happening now.
        ("I get cold sores every now and then, should I tell the nurse?", MN, None),
        # What the clinic said to expect is the normal course.
        ("lots of clear ooze today, the nurse told me to expect this with a deeper peel", PEEL, 4),
        # A moment's change of colour that came straight back.
        ("my lip went white for a moment when she injected, then pink again", FILLER, 0),
        # "will I still be ..." asks about the future.
        ("will i still be red at my friend's party next week?", MN, None),
        # Whether something makes a symptom worse is a question, not a report.
        ("could a hot shower make the swelling worse", MN, 3),
        # "faint pink" is a colour, not fainting.
        ("a faint pink patch on my cheek, nothing else", MN, 3),
        # A condition that comes and goes, told as a habit, with a question about the treatment.
        ("i get cold sores all the time, could a peel set one off", PEEL, None),
        ("I suffer with cold sores, anything to take before my lip appointment?", FILLER, None),
        # "after my peel" is the treatment, not peeling that goes on and on.
        ("still a bit pink a month after my peel, is that a thing", PEEL, 30),
        # Someone else's story goes on into the next sentence.
        ("My cousin had her lips done last month. Her lips swelled up and went purple.", FILLER, 1),
    ],
)
def test_no_alarm_for_what_only_looks_like_a_sign(
    engine: Engine, message: str, procedure: str, day: int | None
) -> None:
    tier = _tier(engine, message, procedure, day)
    assert tier is None or not tier.is_red_flag, (message, tier)


@pytest.mark.parametrize(
    ("message", "procedure", "day", "tier"),
    [
        # A story whose words stand apart, counted in words that say something.
        ("the bleeding from the little cut near my jaw still will not stop", MN, 0, Tier.SAME_DAY),
        # "has gone a dusky colour" tells what it became, not that it settled.
        ("one bit near my nose has gone a dusky blue colour and it is sore", MN, 1, Tier.SAME_DAY),
        ("the corner of my lip has gone a whitish colour", FILLER, 0, Tier.SAME_DAY),
        # A settling clause does not hide a later report.
        ("the swelling had gone down. now the lips are swollen and tight again", FILLER, 5, Tier.SAME_DAY),
        # Redness coming back after it settled.
        ("it had calmed down but this morning it is angry and red again and sore", MN, 4, Tier.SAME_DAY),
        # Spreading past the treated area.
        ("the redness is now spreading past the treated area onto my neck", PEEL, 3, Tier.SAME_DAY),
        # A fever told by its reading or by shaking.
        ("woke up shaking and soaked, felt really hot", MN, 2, Tier.SAME_DAY),
        ("the thermometer says 38.6", FILLER, 2, Tier.SAME_DAY),
        # Pain much worse in one place.
        ("the pain on my left cheek is terrible, much worse than the rest", PEEL, 1, Tier.SAME_DAY),
        # Burning that goes on for hours.
        ("it has been burning for hours since I rinsed it", PEEL, 0, Tier.SAME_DAY),
        # A change of voice or vision is an emergency.
        ("my tongue feels fine but my voice has changed and sounds hoarse", MN, 0, Tier.EMERGENCY),
        ("it is like a curtain over my vision on one side", FILLER, 0, Tier.EMERGENCY),
        # An aching eye, hazy sight.
        ("my eye is aching since this morning", MN, 0, Tier.SAME_DAY),
        ("everything looks hazy out of my right eye", MN, 1, Tier.SAME_DAY),
        # Painful, spreading pustules after microneedling.
        ("the whiteheads on my chin are spreading and they throb", MN, 4, Tier.SAME_DAY),
        # Redness or swelling past day 5 (the guidance's red-flag summary).
        ("day 8 and still red and puffy all over", MN, 8, Tier.SAME_DAY),
        # A habit, and in the same sentence something happening now: a report.
        ("I always get cold sores, there's one starting on my lip this morning", MN, 2, Tier.SAME_DAY),
        # The patient's own story after someone else's.
        ("My cousin had her lips done too. My top lip swelled up and went purple.", FILLER, 1, Tier.SAME_DAY),
        # A colour change with swelling or pain, after every facial treatment (a peel's frost on day 0 aside).
        ("my upper lip puffed up and has gone purple", FILLER, 1, Tier.SAME_DAY),
        ("one cheek is purplish and sore to touch", FILLER, 2, Tier.SAME_DAY),
        ("a patch by my mouth went grey and it hurts", PEEL, 2, Tier.SAME_DAY),
    ],
)
def test_signs_told_in_these_ways_are_escalated(
    engine: Engine, message: str, procedure: str, day: int, tier: Tier
) -> None:
    assert _tier(engine, message, procedure, day) is tier, message


def test_an_emergency_is_never_played_down_by_what_was_expected(engine: Engine) -> None:
    message = "my throat feels tight, the nurse told me to expect some swelling"
    assert _tier(engine, message, MN, 0) is Tier.EMERGENCY


def test_what_was_expected_does_not_reach_past_a_but(engine: Engine) -> None:
    message = "they told me to expect some ooze but now there is pus and it smells"
    assert _tier(engine, message, PEEL, 4) is Tier.SAME_DAY


@pytest.mark.parametrize(
    ("message", "procedure"),
    [
        ("how long does swelling from lip filler usually last?", MN),
        ("how many days does swelling after lip filler take to go down", PEEL),
    ],
)
def test_another_treatments_name_is_not_a_part_of_the_body(
    engine: Engine, message: str, procedure: str
) -> None:
    # "lip" in "lip filler" told as a source ("from", "after") names a treatment: no lip is said to swell.
    # Told any other way ("my lip filler is swelling", "lip filler swelling ..."), it is read as a lip.
    assert _tier(engine, message, procedure, None) is None


@pytest.mark.parametrize(
    ("message", "procedure"),
    [
        ("my lips are swelling up since my lip filler yesterday", MN),
        ("tongue swelling after lip filler, how long will it last", PEEL),
        # The patient's own filler: "my lip filler" is their lip, whatever the name.
        ("my lip filler is swelling more and more", MN),
        ("my lip filler swelled right up after microneedling", MN),
        ("my lip filler has blown up since the peel, is that normal?", PEEL),
        ("the day after my peel my lip fillers swelled up like balloons", PEEL),
        ("my lip injections blew up after microneedling", MN),
    ],
)
def test_a_body_part_told_beside_another_treatments_name_still_alarms(
    engine: Engine, message: str, procedure: str
) -> None:
    assert _tier(engine, message, procedure, 0) is Tier.EMERGENCY


@pytest.mark.parametrize(
    ("message", "day"),
    [
        # Another treatment's name inside one of the patient's own ("non surgical nose job" is nose filler).
        ("my non surgical nose job is grey", 0),
        # A kind of peel's name is not the patient's blue, peeling lip.
        ("my lip is blue peeling and sore", 2),
    ],
)
def test_the_patients_own_filler_named_like_another_treatment_still_alarms(
    engine: Engine, message: str, day: int
) -> None:
    assert _tier(engine, message, FILLER, day) is Tier.SAME_DAY


@pytest.mark.parametrize(
    ("message", "procedure", "day"),
    [
        # Comparing two treatments is a question, not a report of pain getting worse.
        ("does jawline filler hurt more than lip filler?", FILLER, None),
        # Marks where the needle went in are injection points, whatever the day.
        ("tiny red dots where the needle went in, is that normal?", FILLER, 20),
        # Warmth for an hour after a peel is not burning for hours, nor is the burn while the peel is on.
        ("got home an hour ago and the burning is only slowly easing", PEEL, 0),
        ("it felt like my face was on fire while the peel was on, and its still warm now", PEEL, 0),
    ],
)
def test_no_alarm_for_comparisons_needle_marks_and_the_first_hour(
    engine: Engine, message: str, procedure: str, day: int | None
) -> None:
    assert _tier(engine, message, procedure, day) is None


@pytest.mark.parametrize(
    ("message", "procedure", "day"),
    [
        ("my lip hurts more than it did yesterday", FILLER, 2),
        ("my cheek went red and hard where the needle went in, 3 weeks on", FILLER, 21),
        ("rinsed it off hours ago and it's burning for hours now", PEEL, 0),
    ],
)
def test_the_same_words_told_as_reports_still_alarm(
    engine: Engine, message: str, procedure: str, day: int | None
) -> None:
    assert _tier(engine, message, procedure, day) is Tier.SAME_DAY


def test_a_kind_of_peel_named_is_not_peeling_still(engine: Engine) -> None:
    # "still" ... "peel" told apart read as "still peeling" when the peel was the treatment's name.
    assert _tier(engine, "can i still wear mascara after a glycolic peel?", PEEL, 12) is None
    assert _tier(engine, "my face is still pink a month after a medium peel", PEEL, 30) is None
    assert _tier(engine, "my face is still peeling 3 weeks after my TCA peel", PEEL, 21) is Tier.ROUTINE


def test_a_habit_with_needles_is_not_a_reaction(engine: Engine) -> None:
    # Feeling faint at the sight of needles is a question for before the treatment, not an emergency...
    assert (
        _tier(engine, "I always feel faint when I see needles, will that be a problem?", FILLER, None) is None
    )
    # ...unless something is happening now.
    for message in (
        "I always feel faint now since the treatment",
        "the sight of the needle made me dizzy and now my throat feels tight",
    ):
        assert _tier(engine, message, FILLER, 0) is Tier.EMERGENCY, message


def test_not_seeing_a_thing_or_a_result_is_not_a_change_of_vision(engine: Engine) -> None:
    message = "tiny hard bumps inside my top lip, i can feel them but can't see them, day 6"
    assert _tier(engine, message, FILLER, 6) is None  # nor "can not feel my lip" read out of order
    assert (
        _tier(engine, "still can't decide if i like them. when do you see the final result?", FILLER, 14)
        is None
    )
    # A real loss of sight still is one.
    assert _tier(engine, "I can't see anything out of my left eye", FILLER, 0) is Tier.EMERGENCY
    assert _tier(engine, "i still can not really feel my top lip properly", FILLER, 3) is Tier.SAME_DAY


@pytest.mark.parametrize(
    ("message", "procedure", "day"),
    [
        ("we keep bee hives, is the veil ok on day 3", MN, 3),
        ("what does pus look like? just asking because im nervous, not because i have any", PEEL, 3),
        ("the leaflet says fever is a red flag, i only have a runny nose, no temperature", MN, 2),
        ("last time i had a peel i got one small blister, this time nothing like that", PEEL, 4),
        (
            "the nurse said it might weep a bit and crust, and its doing exactly that, clear, no smell",
            PEEL,
            5,
        ),
        ("i never ever get spots on my forehead, is that why it's so smooth now", MN, 6),
        ("got a stinking cold, still go for my peel on friday?", PEEL, None),
    ],
)
def test_no_alarm_for_bees_questions_asked_in_case_the_leaflet_history_or_what_was_foretold(
    engine: Engine, message: str, procedure: str, day: int | None
) -> None:
    assert _tier(engine, message, procedure, day) is None


@pytest.mark.parametrize(
    ("message", "procedure", "day"),
    [
        ("little bumps with yellow stuff in them where i never get spots, and they really hurt", PEEL, 5),
        (
            "my lips are swollen and hot and red, day 6, they were fine on day 3 and now theyre worse",
            FILLER,
            6,
        ),
    ],
)
def test_pus_and_a_late_infection_told_in_everyday_words_alarm(
    engine: Engine, message: str, procedure: str, day: int
) -> None:
    assert _tier(engine, message, procedure, day) is Tier.SAME_DAY


def test_a_general_question_about_another_treatments_course_is_not_a_report(engine: Engine) -> None:
    # Asked with a question word and nothing of the patient's own: "lip" names the other treatment.
    assert _tier(engine, "How long does lip filler swelling usually last?", MN, None) is None
    # Anything of the patient's own, or a yes/no question, is still read as their lips.
    for message in (
        "why is my lip filler swelling so much",
        "is lip filler swelling normal?",
        "lip filler swelling keeps getting bigger",
        "how long does tongue swelling last",
    ):
        assert _tier(engine, message, MN, 0) is Tier.EMERGENCY, message


def test_one_side_more_swollen_is_not_lips_that_keep_swelling(engine: Engine) -> None:
    message = "had lips done friday and one side is more swollen than the other, how long does swelling last?"
    assert _tier(engine, message, FILLER, 3) is None
    assert _tier(engine, "my lips keep swelling, one side more than the other", FILLER, 0) is Tier.EMERGENCY
    # Nor, later on, is it swelling that grows; one side that keeps growing still is.
    assert _tier(engine, "one side is more swollen than the other, day 6", FILLER, 6) is None
    assert _tier(engine, "one side is getting more swollen every day, day 6", FILLER, 6) is Tier.SAME_DAY


def test_a_report_after_a_question_about_the_same_sign_still_alarms(engine: Engine) -> None:
    # "mine" carries the lips of the question into the report.
    message = "does filler make your lips go white? mine are white now"
    assert _tier(engine, message, FILLER, 0) is Tier.SAME_DAY


@pytest.mark.parametrize(
    ("message", "procedure", "day"),
    [
        ("paracetamol is doing nothing, took it an hour ago, face is throbbing", MN, 3),
        ("the painkillers aren't touching it and my skin is burning", PEEL, 1),
        ("took ibuprofen but it's done nothing, my lip is really sore", FILLER, 0),
    ],
)
def test_pain_the_usual_painkillers_do_not_ease_is_checked_the_same_day(
    engine: Engine, message: str, procedure: str, day: int
) -> None:
    tier = _tier(engine, message, procedure, day)
    assert tier is not None and tier.is_red_flag, message


def test_asking_what_to_take_if_painkillers_do_not_help_raises_no_alarm(engine: Engine) -> None:
    assert _tier(engine, "if paracetamol isn't helping can I take ibuprofen instead?", FILLER, 1) is None
    assert _tier(engine, "took ibuprofen and it helped, my lips are fine", FILLER, 1) is None


def test_one_side_bigger_than_the_other_told_with_the_day_is_not_swelling_growing(engine: Engine) -> None:
    # The words of "bigger today" stand apart, but the comparison is with the other side.
    message = "my left lip is bigger than the right. had them done friday, today is tuesday. still swelling?"
    assert _tier(engine, message, FILLER, 4) is None
    # Bigger than yesterday still is.
    assert _tier(engine, "my lip is bigger than yesterday, it's day 5", FILLER, 5) is Tier.SAME_DAY


@pytest.mark.parametrize(
    ("message", "day"),
    [
        # The treatment told as happening now is not a sign happening now.
        (
            "had my lips done this morning, birthday tomorrow, can I have drinks or will they balloon",
            0,
        ),
        # The treated jaw told as the lower face.
        (
            "3 days after jawline filler and my whole lower face looks wide and puffy, is that swelling?",
            3,
        ),
        # A question about what might cause an infection.
        ("there are tiny red dots where the needles went in, will foundation get them infected?", 2),
    ],
)
def test_no_alarm_for_the_treatment_told_now_the_treated_area_or_a_question_about_a_risk(
    engine: Engine, message: str, day: int
) -> None:
    assert _tier(engine, message, FILLER, day) is None, message


def test_the_edge_of_the_lip_looking_blurry_is_not_a_change_of_vision(engine: Engine) -> None:
    assert (
        _tier(engine, "my lip line looks blurry at 3 weeks, has it moved?", FILLER, 21) is not Tier.EMERGENCY
    )
    assert _tier(engine, "everything looks blurry since my tear troughs", FILLER, 0) is Tier.EMERGENCY


@pytest.mark.parametrize(
    ("message", "procedure", "day"),
    [
        ("burnt my hand on the oven, nothing to do with my face, can i cook with a fresh peel", PEEL, 1),
        ("saw a show about botched lips and now im worried, mine look fine", FILLER, 4),  # not "blotched"
    ],
)
def test_no_alarm_for_a_burn_elsewhere_or_a_word_near_a_sign_word(
    engine: Engine, message: str, procedure: str, day: int
) -> None:
    assert _tier(engine, message, procedure, day) is None, message


@pytest.mark.parametrize(
    ("message", "procedure", "day", "tier"),
    [
        (
            "been 38.6 since this morning and achy, peel was tuesday",
            PEEL,
            2,
            Tier.SAME_DAY,
        ),  # a reading alone
        ("the brown marks keep getting darker instead of fading, 3 weeks on", MN, 21, Tier.SAME_DAY),
        (
            "its 10pm and the burning still hasnt calmed down since the peel this morning",
            PEEL,
            0,
            Tier.SAME_DAY,
        ),
        (
            "since lunch i keep seeing two of everything, lips were done this morning",
            FILLER,
            0,
            Tier.EMERGENCY,
        ),
        (
            "theres a grey smudge in the middle of what i see, had tear troughs an hour ago",
            FILLER,
            0,
            Tier.EMERGENCY,
        ),
    ],
)
def test_signs_told_as_a_reading_a_trend_or_loosely_about_sight(
    engine: Engine, message: str, procedure: str, day: int, tier: Tier
) -> None:
    assert _tier(engine, message, procedure, day) is tier, message


@pytest.mark.parametrize(
    ("message", "procedure", "day"),
    [
        ("got pink streaks put in my hair, can i dye it after microneedling", MN, 5),
        ("if my lips started swelling a week later what should i do? just asking", FILLER, 3),
        ("i had hives from nuts once when i was like 10, could i react to the serum", MN, 2),
        ("its been 38 days and all is fine, can i have another session", MN, 38),
    ],
)
def test_no_alarm_for_hair_streaks_a_what_if_or_old_history(
    engine: Engine, message: str, procedure: str, day: int
) -> None:
    assert _tier(engine, message, procedure, day) is None, message


@pytest.mark.parametrize(
    ("message", "day", "tier"),
    [
        # Words that deny or excuse a sign take away only themselves: the rest of the clause is still read.
        (
            "left lip keeps getting bigger and is bigger than the right now, its hot and hard",
            6,
            Tier.EMERGENCY,
        ),
        ("my whole lower face has blown up like a balloon", 1, Tier.SAME_DAY),
        ("my throat won't stop closing up", 1, Tier.EMERGENCY),  # "won't stop" tells more, not less
        ("tongue doesnt feel right, swollen", 2, Tier.EMERGENCY),
        ("had my nose filler done today, can filler cause blurry vision?", 0, Tier.EMERGENCY),
        ("hi ladies top lip has gone white and cold", 1, Tier.SAME_DAY),  # a greeting is nobody's story
    ],
)
def test_reports_the_screen_must_never_explain_away(
    engine: Engine, message: str, day: int, tier: Tier
) -> None:
    found = _tier(engine, message, FILLER, day)
    assert found is not None and found.rank <= tier.rank, (message, found)  # at least as urgent


def test_a_stranger_who_did_the_filler_does_not_make_the_patients_signs_theirs(engine: Engine) -> None:
    message = "a girl did them at a party and now theyre grey and cold"
    assert _tier(engine, message, FILLER, 1) is not None
    assert _tier(engine, "the skin on my lip looks dead and is shedding", FILLER, 3) is not None
