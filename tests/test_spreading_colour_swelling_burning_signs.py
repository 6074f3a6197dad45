"""The warning-sign screen catches, at their tier, the kinds of message it used to miss: redness travelling
past the treated area, red streaks, an odd smell and honey crusts; colour words with a suffix or told
approximately ("greyish", "kind of grey", "gone a grey colour", blotchy, marbled), a blocked-vessel sign
near filler even without pain; the whole face swollen, eyes nearly shut, swelling growing late, welts far
away; everything burning late in the course, and a dark patch with strong pain. None of their hard negatives
(the normal course, negations, questions about signs, what a sign might become) raises an alarm. Phrasings
are in tests/data/*-signs-6.yaml and below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.answer import Engine
from bot.core.model import Tier

DATA = Path(__file__).parent / "data"
SETS = [
    (procedure, item)
    for procedure in ("microneedling", "chemical_peel", "dermal_filler")
    for item in yaml.safe_load((DATA / f"{procedure}-signs-6.yaml").read_text(encoding="utf-8"))
]


def _id(case: tuple[str, dict[str, Any]]) -> str:
    return f"{case[0]}: {str(case[1]['q'])[:50]}"


@pytest.mark.parametrize("case", SETS, ids=_id)
def test_each_kind_is_caught_at_its_tier_and_no_negative_alarms(
    engine: Engine, case: tuple[str, dict[str, Any]]
) -> None:
    procedure, item = case
    answer = engine.answer(item["q"], procedure, day=item.get("day"))
    if item.get("emergency"):
        assert answer.urgency is Tier.EMERGENCY, item["q"]
    elif item.get("urgent"):
        assert answer.red_flag, item["q"]
    else:
        assert not answer.red_flag, (item["q"], answer.urgency)


@pytest.mark.parametrize(
    "message",
    [
        "there's a grey-ish tinge next to the injection site",  # "-ish" split off by a hyphen
        "the skin by my nose went kind of whitey",
        "my top lip is blotchy",
        "is it normal if my lip is grey?",  # asking whether a present sign is normal is a report
    ],
)
def test_filler_colour_told_approximately_pages_the_clinic_at_once(engine: Engine, message: str) -> None:
    answer = engine.answer(message, "dermal_filler", day=0)
    assert answer.urgency is Tier.SAME_DAY, message
    assert answer.alert_tier is Tier.EMERGENCY, message


@pytest.mark.parametrize(
    "message",
    [
        "a bit red and blotchy where the needles went in",  # red blotches at the needle marks
        "my lips are white and flaky",  # dry lips
        "slight grey tint from the numbing cream, wiped it off",  # not the skin's colour
        "lip went white for a second when she injected then pink straight away",  # normal blanching
        "what should i do if it turns white",  # what it might become
    ],
)
def test_filler_colour_look_alikes_raise_no_alarm(engine: Engine, message: str) -> None:
    assert not engine.answer(message, "dermal_filler", day=0).red_flag, message


def test_a_grey_tint_under_the_eyes_weeks_later_is_a_routine_check(engine: Engine) -> None:
    answer = engine.answer(
        "slight grey tint under my eyes since the tear trough filler", "dermal_filler", day=20
    )
    assert answer.urgency is Tier.ROUTINE


@pytest.mark.parametrize("procedure", ["microneedling", "chemical_peel"])
def test_burning_with_every_product_is_the_normal_course_early_and_a_sign_late(
    engine: Engine, procedure: str
) -> None:
    message = "everything I put on stings, even plain water"
    assert not engine.answer(message, procedure, day=1).red_flag
    assert engine.answer(message, procedure, day=6).red_flag
