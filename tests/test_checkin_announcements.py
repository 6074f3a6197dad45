"""Check-ins list only what a patient waits to restart: nothing allowed from the treatment day, nothing a rule
marks `announce: false`."""

from __future__ import annotations

from dataclasses import replace

from bot.core.answer import Engine
from bot.core.checkins import checkin_text
from bot.core.model import Restriction, RestrictionRule


def test_nothing_allowed_from_the_treatment_day_is_announced(engine: Engine) -> None:
    for procedure_id in engine.procedures:
        procedure = engine.procedure(procedure_id)
        day_zero = {
            rule.subject
            for entry in procedure.entries
            if entry.restriction is not None
            for rule in entry.restriction.all_rules
            if rule.resume_day == 0
        }
        for step in procedure.checkins.steps:
            text = checkin_text(engine.kb, procedure, step.day, engine.values(procedure))
            restart = text.split("\n\n", 1)[-1]
            for subject in day_zero:
                assert f"restart {subject}" not in restart and f"• {subject}\n" not in restart, (
                    procedure_id,
                    step.day,
                    subject,
                )


def test_a_rule_marked_not_announced_is_left_out(engine: Engine) -> None:
    procedure = engine.procedure("microneedling")
    step = min(s.day for s in procedure.checkins.steps if s.day > 0)
    entry, rule = next(
        (e, r)
        for e in procedure.entries
        if e.restriction is not None
        for r in e.restriction.all_rules
        if r.resume_day == step and r.announce
    )
    assert entry.restriction is not None
    assert rule.subject in checkin_text(engine.kb, procedure, step, engine.values(procedure))

    def quiet(r: RestrictionRule) -> RestrictionRule:
        return replace(r, announce=False) if r is rule else r

    restriction = Restriction(quiet(entry.restriction.main), tuple(quiet(r) for r in entry.restriction.rules))
    changed_entry = replace(entry, restriction=restriction)
    changed = replace(procedure, entries=tuple(changed_entry if e is entry else e for e in procedure.entries))
    text = checkin_text(engine.kb, changed, step, engine.values(changed))
    assert rule.subject not in text.split("\n\n", 1)[-1]
