"""Aggregate quality on the project's own labelled sets, written blind (without seeing the knowledge base).

These guard against regressions when the knowledge base or the matcher change: a single question may move,
the overall figures may not drop below the bar.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.answer import Engine
from bot.services.evaluation import evaluate, parse_items

DATA = Path(__file__).resolve().parent / "data"


def _items(name: str) -> list[dict[str, object]]:
    return parse_items(yaml.safe_load((DATA / name).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def questions() -> list[dict[str, object]]:
    return _items("questions.yaml")


def test_topic_accuracy_and_confidently_wrong(engine: Engine, questions: list[dict[str, object]]) -> None:
    report, _ = evaluate(engine, "microneedling", questions)
    assert report.labelled >= 200
    assert report.accuracy >= 92.0, report.misses
    assert report.confidently_wrong_pct <= 6.0, report.misses
    assert report.verdicts_right >= report.with_verdict - 2, report.misses


def test_every_warning_sign_escalated_without_false_alarms(engine: Engine) -> None:
    report, _ = evaluate(engine, "microneedling", _items("warning-signs.yaml"))
    assert report.urgent >= 30 and report.not_urgent >= 30
    assert report.escalated == report.urgent, report.misses
    assert report.emergency_tier == report.emergencies, report.misses
    assert report.false_alarms == 0, report.misses
