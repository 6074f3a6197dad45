"""A patient treated more than once: the question names the treatment it is about (else the latest), and a
wait is the strictest of the treatments still healing."""

from __future__ import annotations

from datetime import date

from bot.core.answer import Engine
from bot.core.courses import Course, named_in, still_healing, strictest_holds

TODAY = date(2026, 11, 30)
FILLER = Course("dermal_filler", date(2026, 11, 28), "lips")
NEEDLING = Course("microneedling", date(2026, 11, 9))
PEEL = Course("chemical_peel", date(2026, 11, 27), "medium")


def test_the_question_names_its_treatment(engine: Engine) -> None:
    kb = engine.kb
    assert named_in(kb, "can i use retinol after my microneedling", [FILLER, NEEDLING]) == NEEDLING
    assert named_in(kb, "is this lump from the filler normal", [NEEDLING, FILLER]) == FILLER
    assert named_in(kb, "can i use retinol", [FILLER, NEEDLING]) is None  # none named: the latest is used
    assert named_in(kb, "filler after my chemical peel, ok?", [FILLER, PEEL]) is None  # both named


def test_a_treatment_heals_until_its_last_wait_ends(engine: Engine) -> None:
    kb = engine.kb
    assert still_healing(kb, FILLER, TODAY)
    assert not still_healing(kb, Course("microneedling", date(2026, 1, 5)), TODAY)


def test_the_strictest_wait_of_the_treatments_still_healing(engine: Engine) -> None:
    kb = engine.kb
    # Microneedling 21 days ago: sun and saunas are long back. A medium peel 3 days ago makes them wait.
    holds = strictest_holds(kb, NEEDLING, [NEEDLING, PEEL], TODAY)
    peel = kb.procedure("chemical_peel", "medium")
    needling = kb.procedure("microneedling")
    for entry_id in ("sun_sunscreen", "swimming_sauna_heat"):
        theirs = peel.entry(entry_id)
        mine = needling.entry(entry_id)
        assert theirs and theirs.restriction and mine and mine.restriction
        expected = theirs.restriction.main.resume_day + (PEEL.treated_on - NEEDLING.treated_on).days
        assert expected > mine.restriction.main.resume_day
        assert holds[entry_id] == expected
    answer = engine.answer("can I go in the sauna?", "microneedling", 21, NEEDLING.treated_on, None, holds)
    assert answer.allowed_now is False  # the peel's wait still runs
    # A treatment long healed changes nothing, and a provider's own hold is kept when it is later.
    old = Course("chemical_peel", date(2026, 1, 1), "medium")
    assert strictest_holds(kb, NEEDLING, [NEEDLING, old], TODAY) == {}
    mine_longer = Course("microneedling", NEEDLING.treated_on, None, {"sun_sunscreen": 60})
    assert strictest_holds(kb, mine_longer, [mine_longer, PEEL], TODAY)["sun_sunscreen"] == 60
