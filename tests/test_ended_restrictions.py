"""The end of a wait never reads as encouragement: for smoking, the healing break is over, with why smoking
slows healing, in answers and in check-ins. Other restrictions still say they can restart."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.checkins import checkin_text
from bot.core.recovery import milestones

P = "microneedling"


@pytest.mark.parametrize("day", [2, 3, 10])
def test_smoking_is_never_restarted_in_an_answer(engine: Engine, day: int) -> None:
    answer = engine.answer("can i smoke again now", P, day=day)
    assert answer.topic == "alcohol_smoking" and answer.allowed_now is True
    text = answer.text.casefold()
    assert "restart smoking" not in text and "can smoke" not in text
    assert "healing break" in text and "nicotine" in text


def test_the_check_in_says_the_break_is_over_not_restart(engine: Engine) -> None:
    procedure = engine.procedure(P)
    days = [s.day for s in procedure.checkins.steps]
    texts = " ".join(checkin_text(engine.kb, procedure, d, engine.clinic.values()) for d in days)
    assert "restart smoking" not in texts
    assert engine.kb.message("checkins.wait_over_one").split("{")[0] in texts
    assert "restart alcohol" in texts or "restart these now" in texts  # ordinary ones still restart


def test_milestones_carry_the_flag_for_today_and_plan(engine: Engine) -> None:
    found = {m.subject: m.discouraged for m in milestones(engine.procedure(P))}
    assert found["smoking and vaping"] is True
    assert found["alcohol"] is False
    assert engine.kb.message("bot.today_wait_over") and engine.kb.message("bot.plan_wait_over")


def test_a_discouraged_rule_without_its_own_texts_uses_the_shared_wording(engine: Engine) -> None:
    from dataclasses import replace

    from bot.core.model import VerdictTexts
    from bot.core.recovery import verdict

    entry = engine.procedure(P).entry("alcohol_smoking")
    assert entry is not None and entry.restriction is not None
    smoking = replace(entry.restriction.rules[0], texts=VerdictTexts())
    said = verdict(engine.kb, entry, smoking, day=smoking.resume_day).text
    assert "restart" not in said and "healing break" in said
