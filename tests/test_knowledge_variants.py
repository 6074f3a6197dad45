"""Knowledge format: variants, canonical topics in the procedure file, day placeholders, per-sign replies,
check-in steps by hours or by variant, and the normal course. Proved with a procedure that exists only as
YAML in the tests (`tests/knowledge/lash_lift.yaml`)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.answer import Engine
from bot.core.model import Tier
from bot.core.validate import check_folder
from bot.services.knowledge import load_engine
from bot.storage import Store, outbox, patients
from tests.conftest import FakeClock, make_services

ROOT = Path(__file__).resolve().parent.parent
TEST_PROCEDURE = ROOT / "tests" / "knowledge" / "lash_lift.yaml"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The shipped shared wording plus the test-only procedure."""
    target = tmp_path / "knowledge"
    target.mkdir()
    for shared in (ROOT / "knowledge").glob("*.yaml"):
        if shared.name == "messages.yaml" or shared.name == "language.yaml":
            shutil.copy(shared, target / shared.name)
    shutil.copy(TEST_PROCEDURE, target / TEST_PROCEDURE.name)
    return target


@pytest.fixture
def lash(folder: Path) -> Engine:
    return load_engine(folder)


def _problems(folder: Path) -> list[str]:
    kb, problems = check_folder(folder)
    assert kb is None
    return [str(p) for p in problems]


def test_a_procedure_that_is_only_yaml_passes_kb_check(folder: Path) -> None:
    kb, problems = check_folder(folder, routing=False)
    assert problems == []
    assert kb is not None and set(kb.procedures) == {"lash_lift"}
    assert {v for _, v in kb.variants} == {"lift", "lift_tint"}


def test_a_variant_changes_the_day_verdict(lash: Engine) -> None:
    lift = lash.answer("can i get my lashes wet", "lash_lift", day=1, variant="lift")
    tint = lash.answer("can i get my lashes wet", "lash_lift", day=1, variant="lift_tint")
    assert (lift.topic, lift.allowed_now, lift.allowed_from_day) == ("wetting_lashes", True, 1)
    assert (tint.topic, tint.allowed_now, tint.allowed_from_day) == ("wetting_lashes", False, 2)


def test_the_first_variant_is_the_default(lash: Engine) -> None:
    unknown = lash.answer("can i get my lashes wet", "lash_lift", day=1)
    assert unknown.allowed_from_day == 1


def test_day_placeholders_follow_the_variant_and_named_rules(lash: Engine) -> None:
    tint = lash.answer("when can i use a lash serum", "lash_lift", day=2, variant="lift_tint")
    assert tint.allowed_from_day == 4
    assert "Mascara comes back from day 2; a lash serum from day 4." in tint.text
    lift = lash.answer("when can i use a lash serum", "lash_lift", day=2, variant="lift")
    assert "a lash serum from day 3." in lift.text


def test_a_symptom_is_normal_for_as_long_as_its_variant_says(lash: Engine) -> None:
    lift = lash.answer("is watery eyes normal", "lash_lift", day=2, variant="lift")
    tint = lash.answer("is watery eyes normal", "lash_lift", day=2, variant="lift_tint")
    assert "has not settled" in lift.text
    assert "common until day 2" in tint.text


def test_a_hold_makes_a_wait_longer_never_shorter(lash: Engine) -> None:
    longer = lash.answer(
        "can i get my lashes wet", "lash_lift", day=2, variant="lift", holds={"wetting_lashes": 4}
    )
    assert (longer.allowed_now, longer.allowed_from_day) == (False, 4)
    assert "Keep the lashes dry until day 4" in longer.text
    shorter = lash.answer(
        "can i get my lashes wet", "lash_lift", day=1, variant="lift_tint", holds={"wetting_lashes": 0}
    )
    assert shorter.allowed_from_day == 2


def test_a_sign_with_its_own_reply_and_alert_tier(lash: Engine) -> None:
    answer = lash.answer("i cant see", "lash_lift", day=0, variant="lift")
    assert answer.urgency is Tier.EMERGENCY and answer.alert_tier is Tier.EMERGENCY
    assert answer.safety is not None and answer.safety.startswith(
        "Call your local emergency number now about your eyesight"
    )


def test_a_sign_counts_from_its_variants_day(lash: Engine) -> None:
    assert (
        lash.answer("my eyes are still stinging", "lash_lift", day=2, variant="lift").urgency is Tier.SAME_DAY
    )
    assert lash.answer("my eyes are still stinging", "lash_lift", day=2, variant="lift_tint").urgency is None


def test_check_in_steps_by_hours_and_by_variant(lash: Engine) -> None:
    lift = lash.procedure("lash_lift", "lift").checkins
    tint = lash.procedure("lash_lift", "lift_tint").checkins
    assert [(s.day, s.after_hours) for s in lift.steps] == [(0, 4), (1, None)]
    assert [(s.day, s.after_hours) for s in tint.steps] == [(0, 4), (1, None), (3, None)]
    assert "until tomorrow" in tint.steps[1].text and "until tomorrow" not in lift.steps[1].text
    assert [q.tier for q in lift.warning_questions] == [Tier.EMERGENCY, Tier.SAME_DAY]


def test_the_normal_course_by_day_and_variant(lash: Engine) -> None:
    tint = lash.procedure("lash_lift", "lift_tint")
    assert [c.text for c in tint.course_on(3)] == ["The tint softens a little."]
    assert len(tint.course_on(None)) == 2
    assert lash.procedure("lash_lift", "lift").course_on(3) == ()


def test_canonical_topics_come_from_the_file(folder: Path) -> None:
    path = folder / TEST_PROCEDURE.name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  mascara: restriction\n", "  mascara: restriction\n  eyebrows: advice\n"))
    assert any("missing entry for topic 'eyebrows'" in p for p in _problems(folder))


def test_a_topic_of_kind_other_is_a_conversation_entry(folder: Path) -> None:
    path = folder / TEST_PROCEDURE.name
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    title: Questions for the clinic\n", "    title: Questions\n").replace(
            "  - id: clinic_questions\n    kind: conversation", "  - id: clinic_questions\n    kind: info"
        )
    )
    assert any("entry 'clinic_questions': kind must be 'conversation'" in p for p in _problems(folder))


def test_unknown_and_missing_variants_are_reported_with_their_lines(folder: Path) -> None:
    path = folder / TEST_PROCEDURE.name
    text = path.read_text(encoding="utf-8")
    text = text.replace("resume_day: {lift: 1, lift_tint: 2}", "resume_day: {lift: 1, lift_tnt: 2}")
    text = text.replace("normal_until_day: {lift: 1, lift_tint: 2}", "normal_until_day: {lift: 1}")
    path.write_text(text)
    problems = _problems(folder)
    lines = text.splitlines()
    unknown = next(i for i, line in enumerate(lines, 1) if "lift_tnt" in line)
    missing = next(i for i, line in enumerate(lines, 1) if "normal_until_day: {lift: 1}" in line)
    where = "entries[wetting_lashes].restriction.resume_day"  # an entry is named by its id, not its index
    assert f"{path}:{unknown}: {where}: unknown variant lift_tnt" in problems
    where = "entries[irritation].symptom.normal_until_day"
    assert f"{path}:{missing}: {where}: no value for lift_tint (add it or 'default')" in problems


def test_a_rule_day_placeholder_must_name_a_rule_of_its_entry(folder: Path) -> None:
    path = folder / TEST_PROCEDURE.name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{resume_day_serum}", "{resume_day_primer}"))
    assert any("unknown placeholder {resume_day_primer}" in p for p in _problems(folder))


def test_a_step_needs_a_day_or_hours(folder: Path) -> None:
    path = folder / TEST_PROCEDURE.name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    - after_hours: 4\n", "    - after_hours: 4\n      day: 0\n"))
    assert any("a check-in step needs either 'day' or 'after_hours'" in p for p in _problems(folder))


def test_a_yaml_only_procedure_plans_and_sends_its_checkins(lash: Engine, store: Store) -> None:
    """Through the services, as the bot runs it: enrolled at 11:00 on the treatment day, the 4-hour step is
    due at 15:00, the others at the check-in time, and each message is composed from the YAML."""
    clock = FakeClock(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    services = make_services(store, lash, clock)
    patient, treatment = store.call(
        patients.enroll, 7, 7, "Lee", "UTC", "lash_lift", clock.today(), clock(), "lift_tint"
    )
    assert store.call(services.checkins.plan_treatment, treatment.id) == 3
    rows = store.call(outbox.pending_checkins, patient.id)
    assert [(r.step_day, r.due_at.isoformat()) for r in rows] == [
        (0, "2026-11-23T15:00:00+00:00"),
        (1, "2026-11-24T10:00:00+00:00"),
        (3, "2026-11-26T10:00:00+00:00"),
    ]
    day_one = services.checkins.compose(rows[1])
    assert "until tomorrow" in day_one.text
    assert [b.label for (b,) in day_one.buttons] == [
        o.label for o in lash.kb.procedures["lash_lift"].checkins.options
    ]
