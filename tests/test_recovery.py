"""Day verdicts: every restriction rule on both sides of the day it ends, with dates in the wording."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.answer import Engine
from bot.core.recovery import allowed_from_today, milestones, recovery_day, status_on, when_text

P = "microneedling"


def _rules(engine: Engine) -> list[tuple[str, str, int, str]]:
    """(entry id, subject, resume day, a question naming the rule) for every restriction rule."""
    found = []
    for entry in engine.procedure(P).entries:
        if entry.restriction is None:
            continue
        main = entry.restriction.main
        claimed = {k for rule in entry.restriction.rules for k in rule.keywords}
        own = next(k for k in entry.keywords if k not in claimed)  # a word of the main rule, not a product's
        found.append((entry.id, main.subject, main.resume_day, f"can i use {own} yet"))
        for rule in entry.restriction.rules:
            found.append((entry.id, rule.subject, rule.resume_day, f"is {rule.keywords[0]} ok now"))
    return found


def test_every_restriction_rule_flips_on_its_day(engine: Engine) -> None:
    rules = _rules(engine)
    assert len(rules) >= 10
    for entry_id, subject, resume_day, question in rules:
        before = engine.answer(question, P, day=max(resume_day - 1, 0))
        on_day = engine.answer(question, P, day=resume_day)
        after = engine.answer(question, P, day=resume_day + 7)
        assert on_day.topic == entry_id, question
        assert on_day.allowed_from_day == resume_day, question
        if resume_day > 0:
            assert before.allowed_now is False, question
            assert f"day {resume_day}" in before.text
        assert on_day.allowed_now is True, question
        assert after.allowed_now is True, question
        assert subject in on_day.text


def test_retinol_not_yet_on_day_2_with_the_date(engine: Engine) -> None:
    answer = engine.answer("can I use retinol yet?", P, day=2, treated_on=date(2026, 11, 23))
    assert answer.allowed_now is False
    assert answer.allowed_from_day == 5
    assert answer.text.startswith("Not yet")
    assert "Saturday 28 November" in answer.text


def test_retinol_yes_on_day_21(engine: Engine) -> None:
    answer = engine.answer("can I use retinol yet?", P, day=21)
    assert answer.allowed_now is True
    assert answer.text.startswith("Yes")


def test_specific_product_rule_wins_over_the_main_rule(engine: Engine) -> None:
    retinol = engine.answer("can i use retinol", P, day=6)
    tretinoin = engine.answer("can i use tretinoin", P, day=6)
    assert retinol.allowed_now is True
    assert tretinoin.allowed_now is False
    assert tretinoin.allowed_from_day is not None and tretinoin.allowed_from_day > 6


def test_unknown_day_states_the_usual_day_without_a_verdict(engine: Engine) -> None:
    answer = engine.answer("when can i use retinol again", P)
    assert answer.allowed_now is None
    assert answer.allowed_from_day == 5
    assert "day 5" in answer.text


def test_non_restrictions_have_no_verdict(engine: Engine) -> None:
    answer = engine.answer("how long will i be red", P, day=1)
    assert answer.allowed_now is None and answer.allowed_from_day is None


def test_symptom_answer_changes_when_it_should_have_settled(engine: Engine) -> None:
    early = engine.answer("my face is still really red", P, day=1)
    late = engine.answer("my face is still really red", P, day=12)
    assert early.topic == late.topic == "redness_swelling"
    assert early.text != late.text
    assert "12" in late.text


def test_recovery_day_counts_from_treatment_day() -> None:
    assert recovery_day(date(2026, 11, 23), date(2026, 11, 23)) == 0
    assert recovery_day(date(2026, 11, 23), date(2026, 11, 25)) == 2
    assert recovery_day(date(2026, 11, 23), date(2026, 11, 22)) == -1


def test_when_text_with_and_without_date(engine: Engine) -> None:
    assert when_text(engine.kb, 5, None) == "day 5"
    assert when_text(engine.kb, 5, date(2026, 11, 23)) == "day 5 (Saturday 28 November)"
    assert "December" in when_text(engine.kb, 14, date(2026, 11, 23))


def test_plan_and_status_agree(engine: Engine) -> None:
    procedure = engine.procedure(P)
    plan = milestones(procedure)
    assert [m.day for m in plan] == sorted(m.day for m in plan)
    allowed, on_hold = status_on(procedure, 4)
    assert all(m.day <= 4 for m in allowed) and all(m.day > 4 for m in on_hold)
    assert len(allowed) + len(on_hold) == len(plan)
    assert {m.entry_id for m in allowed_from_today(procedure, 5)} >= {"retinoids"}


@pytest.mark.parametrize("day", [0, 1, 2, 3, 5, 7, 10, 14, 21, 28, 42, 90])
def test_every_restriction_answer_is_consistent_on_any_day(engine: Engine, day: int) -> None:
    for entry_id, _, resume_day, question in _rules(engine):
        answer = engine.answer(question, P, day=day)
        assert answer.topic == entry_id
        assert answer.allowed_now is (day >= resume_day)


def test_asking_about_tomorrow_on_the_eve_of_the_day(engine: Engine) -> None:
    eve = engine.answer("can i go to the gym tomorrow", P, day=2)
    assert eve.allowed_now is False
    assert "tomorrow" in eve.text.lower() and "day 3" in eve.text
    too_early = engine.answer("can i go to the gym tmrw", P, day=1)
    assert too_early.text.startswith("Not yet")
    already = engine.answer("can i go to the gym tomorrow", P, day=6)
    assert already.allowed_now is True


def test_a_chosen_entry_is_answered_for_the_day_like_a_question(engine: Engine) -> None:
    chosen = engine.answer_entry(P, "retinoids", day=2)
    asked = engine.answer("when can i use retinol", P, day=2)
    assert chosen.topic == "retinoids" and chosen.confidence == 1.0
    assert chosen.allowed_now is False and chosen.allowed_from_day == asked.allowed_from_day
    assert chosen.sections == asked.sections
    with pytest.raises(KeyError):
        engine.answer_entry(P, "no_such_entry", day=2)
