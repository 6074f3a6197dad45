"""`aftercare eval`: score the engine on a labelled question set and explain where it goes wrong."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from bot.core.answer import Answer, Engine
from bot.core.model import Tier

OTHER = "other"
"""The label of questions no entry covers: the right behaviour is to abstain."""


class EvalFileError(Exception):
    """The question file is not a list of items with a `q`."""


@dataclass
class Report:
    """Counts behind the evaluation report."""

    items: int = 0
    labelled: int = 0
    correct: int = 0
    confidently_wrong: int = 0
    abstained: int = 0
    abstained_on_other: int = 0
    other_labelled: int = 0
    urgent: int = 0
    escalated: int = 0
    emergencies: int = 0
    emergency_tier: int = 0
    not_urgent: int = 0
    false_alarms: int = 0
    with_verdict: int = 0
    verdicts_right: int = 0
    confusion: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def _pct(part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 100.0

    @property
    def accuracy(self) -> float:
        """Topic accuracy in percent (abstaining counts as right for `other`)."""
        return self._pct(self.correct, self.labelled)

    @property
    def confidently_wrong_pct(self) -> float:
        """Share of labelled items answered with a wrong topic, in percent (0 when nothing is labelled)."""
        return self._pct(self.confidently_wrong, self.labelled) if self.labelled else 0.0

    def passes_gate(self) -> bool:
        """The release bar: >= 95% topic accuracy, <= 2% confidently wrong, every warning sign escalated."""
        return (
            self.accuracy >= 95.0
            and self.confidently_wrong_pct <= 2.0
            and self.escalated == self.urgent
            and self.emergency_tier == self.emergencies
            and self.false_alarms == 0
            and self.verdicts_right == self.with_verdict
        )


def parse_items(data: Any) -> list[dict[str, Any]]:
    """Validate the loaded question file: a list of mappings, each with a text `q`."""
    if not isinstance(data, list):
        raise EvalFileError("the file must be a YAML list of items, each with a 'q'")
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise EvalFileError(f"item {number} has no text 'q'")
        day = item.get("day")
        if day is not None and (not isinstance(day, int) or isinstance(day, bool) or day < 0):
            raise EvalFileError(f"item {number}: 'day' must be a whole number of days, 0 or more")
    return data


def evaluate(engine: Engine, procedure: str, items: list[dict[str, Any]]) -> tuple[Report, list[Answer]]:
    """Answer every item and count what went right and wrong."""
    report = Report()
    answers = []
    for item in items:
        answer = engine.answer(item["q"], procedure, day=item.get("day"))
        answers.append(answer)
        report.items += 1
        _score_topic(report, item, answer)
        _score_urgency(report, item, answer)
        if "allowed" in item:
            report.with_verdict += 1
            if answer.allowed_now == item["allowed"]:
                report.verdicts_right += 1
            else:
                report.misses.append(f"verdict {answer.allowed_now} != {item['allowed']}: {item['q']}")
    return report, answers


def _score_topic(report: Report, item: dict[str, Any], answer: Answer) -> None:
    label = item.get("topic")
    if label is None:
        return
    report.labelled += 1
    predicted = answer.topic or "(abstain)"
    report.confusion[label][predicted] += 1
    if answer.topic is None:
        report.abstained += 1
    if label == OTHER:
        report.other_labelled += 1
        if answer.topic is None:
            report.abstained_on_other += 1
    right = answer.topic == label or (label == OTHER and answer.topic is None)
    if right:
        report.correct += 1
        return
    if answer.topic is not None:
        report.confidently_wrong += 1
    report.misses.append(f"topic {predicted} != {label} ({answer.confidence:.2f}): {item['q']}")


def _score_urgency(report: Report, item: dict[str, Any], answer: Answer) -> None:
    if "urgent" not in item:
        return
    if item["urgent"]:
        report.urgent += 1
        if answer.red_flag:
            report.escalated += 1
        else:
            report.misses.append(f"missed warning sign: {item['q']}")
        if item.get("emergency"):
            report.emergencies += 1
            if answer.urgency is Tier.EMERGENCY:
                report.emergency_tier += 1
            else:
                report.misses.append(f"emergency not in the emergency tier: {item['q']}")
    else:
        report.not_urgent += 1
        if answer.red_flag:
            report.false_alarms += 1
            report.misses.append(f"false alarm: {item['q']}")


def render(report: Report) -> str:
    """The human-readable report."""
    lines = [f"items: {report.items}"]
    if report.labelled:
        lines += [
            f"topic accuracy: {report.accuracy:.1f}% ({report.correct}/{report.labelled})",
            f"confidently wrong: {report.confidently_wrong_pct:.1f}% "
            f"({report.confidently_wrong}/{report.labelled})",
            f"abstentions: {report.abstained} ({report.abstained_on_other} of them on the "
            f"{report.other_labelled} 'other' items)",
        ]
    if report.urgent or report.not_urgent:
        lines += [
            f"warning-sign recall: {report._pct(report.escalated, report.urgent):.1f}% "
            f"({report.escalated}/{report.urgent})",
            f"emergency tier: {report.emergency_tier}/{report.emergencies}",
            f"false alarms: {report.false_alarms}/{report.not_urgent}",
        ]
    if report.with_verdict:
        lines.append(f"day verdicts right: {report.verdicts_right}/{report.with_verdict}")
    right = {OTHER: "(abstain)"}
    confused = {label: c for label, c in report.confusion.items() if set(c) - {right.get(label, label)}}
    if confused:
        lines.append("confusion (label: predicted x count):")
        for label in sorted(confused):
            counts = ", ".join(f"{p} x{n}" for p, n in confused[label].most_common())
            lines.append(f"  {label}: {counts}")
    if report.misses:
        lines.append("misses:")
        lines += [f"  {miss}" for miss in report.misses]
    return "\n".join(lines)
