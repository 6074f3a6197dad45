"""Thoughts of suicide or self-harm, and overdoses: the crisis tier, its reply first with the crisis line and
the clinic, and nothing else. Everyday idioms never trigger it. Phrasings written for this test."""

from __future__ import annotations

import json

import pytest

from bot.core.answer import Clinic, Engine
from bot.core.model import Tier

P = "microneedling"

CRISIS = [
    "honestly i don't want to be alive anymore",
    "I've been having thoughts of suicide since the treatment went wrong",
    "i keep thinking about ending my life",
    "i want to kill myself, my face is ruined",
    "I have been cutting myself again",
    "i took too many painkillers on purpose an hour ago",
    "i think i'm going to overdose tonight",
    "everyone would be better off without me",
    "s u i c i d a l thoughts again",
]

IDIOMS = [
    "i'm dying to wear makeup again, when can i",
    "the wait to see results is killing me",
    "I could kill for a glass of wine right now, can i have one",
    "my skin looks to die for, thank you so much",
    "I nearly died laughing at how red I was",
    "killing it with the aftercare so far!",
    "i want to dye my hair, is that ok",
    "i cut myself shaving near the treated area",
]


@pytest.mark.parametrize("message", CRISIS)
def test_a_crisis_is_the_top_tier_and_its_reply_comes_alone(engine: Engine, message: str) -> None:
    answer = engine.answer(message, P, day=3)
    assert answer.urgency is Tier.CRISIS, message
    assert answer.red_flag and answer.alert_tier is Tier.CRISIS
    assert answer.safety is not None and answer.text == answer.safety
    assert engine.clinic.crisis_line and engine.clinic.crisis_line in answer.safety
    assert engine.clinic.phone and engine.clinic.phone in answer.safety
    assert answer.to_json()["urgency"] == "crisis" and answer.to_json()["red_flag"] is True


@pytest.mark.parametrize("message", IDIOMS)
def test_everyday_idioms_never_trigger_it(engine: Engine, message: str) -> None:
    answer = engine.answer(message, P, day=3)
    assert answer.urgency is not Tier.CRISIS, message


def test_a_crisis_outranks_every_warning_sign(engine: Engine) -> None:
    answer = engine.answer("my throat is closing and i want to die", P, day=0)
    assert answer.urgency is Tier.CRISIS
    assert Tier.CRISIS.rank < Tier.EMERGENCY.rank


def test_the_crisis_line_comes_from_the_clinic_or_the_wording_default(engine: Engine) -> None:
    configured = Engine(engine.kb, Clinic(name="Glow", crisis_line="Lifeline on 13 11 14"))
    assert "Lifeline on 13 11 14" in (configured.answer("i want to end my life", P).safety or "")
    unset = Engine(engine.kb, Clinic(name="Glow"))
    assert unset.clinic.crisis_line == engine.kb.message("clinic.crisis_line")
    assert (unset.clinic.crisis_line or "") in (unset.answer("i want to end my life", P).safety or "")


def test_the_phrases_are_data_in_the_language_file(engine: Engine) -> None:
    language = engine.kb.language
    assert "suicide" in language.crisis and "dying to" in language.crisis_exclusions
    assert json.dumps(engine.answer("suicidal", P).to_json())  # plain data for `ask --json`
