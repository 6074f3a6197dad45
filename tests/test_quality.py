"""Aggregate quality on the project's own labelled sets, written blind (without seeing the knowledge base), on
the shared development sets when they sit beside the checkout, and leave-one-out over the knowledge base's own
examples (the data the matcher's threshold is calibrated on).

The thresholds are the figures the README claims: a single question may move, the overall figures may not
drop below them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.answer import Engine
from bot.core.matcher import DEFAULT_THRESHOLD
from bot.services.evaluation import evaluate, leave_one_out, parse_items

DATA = Path(__file__).resolve().parent / "data"


def _items(name: str) -> list[dict[str, object]]:
    return parse_items(yaml.safe_load((DATA / name).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def questions() -> list[dict[str, object]]:
    return _items("questions.yaml")


def test_topic_accuracy_and_confidently_wrong(engine: Engine, questions: list[dict[str, object]]) -> None:
    report, _ = evaluate(engine, "microneedling", questions)
    assert report.labelled >= 200
    assert report.accuracy >= 94.0, report.misses
    assert report.confidently_wrong_pct <= 2.3, report.misses
    assert report.verdicts_right >= report.with_verdict - 1, report.misses


def test_every_warning_sign_escalated_without_false_alarms(engine: Engine) -> None:
    report, _ = evaluate(engine, "microneedling", _items("warning-signs.yaml"))
    assert report.urgent >= 30 and report.not_urgent >= 30
    assert report.escalated == report.urgent, report.misses
    assert report.emergency_tier == report.emergencies, report.misses
    assert report.false_alarms == 0, report.misses


# `../shared/spec` beside the checkout (or beside the folder of worktrees).
SHARED_SETS = [
    p / "shared" / "spec" for p in Path(__file__).resolve().parents[1:4] if (p / "shared" / "spec").is_dir()
]


@pytest.mark.skipif(not SHARED_SETS, reason="the shared development sets are not beside this checkout")
@pytest.mark.parametrize(
    ("name", "accuracy", "wrong"), [("dev-questions.yaml", 97.8, 0.0), ("dev-questions-2.yaml", 97.0, 0.8)]
)
def test_the_shared_development_sets(engine: Engine, name: str, accuracy: float, wrong: float) -> None:
    items = parse_items(yaml.safe_load((SHARED_SETS[0] / name).read_text(encoding="utf-8")))
    report, _ = evaluate(engine, "microneedling", items)
    assert report.accuracy >= accuracy, report.misses
    assert report.confidently_wrong_pct <= wrong, report.misses


@pytest.mark.skipif(not SHARED_SETS, reason="the shared development sets are not beside this checkout")
def test_the_shared_warning_signs(engine: Engine) -> None:
    items = parse_items(yaml.safe_load((SHARED_SETS[0] / "dev-red-flags.yaml").read_text(encoding="utf-8")))
    report, _ = evaluate(engine, "microneedling", items)
    assert report.escalated == report.urgent and report.emergency_tier == report.emergencies, report.misses
    assert report.false_alarms == 0, report.misses


def test_leave_one_out_calibration(engine: Engine) -> None:
    """Each example asked of a matcher built without it: the default threshold keeps wrong answers rare."""
    calibration = leave_one_out(engine.kb, "microneedling", thresholds=(DEFAULT_THRESHOLD,))
    [(_, right, wrong, abstained)] = calibration.by_threshold
    total = right + wrong + abstained
    assert total == calibration.examples >= 500
    assert 100 * right / total >= 88.0
    assert 100 * wrong / total <= 3.2
