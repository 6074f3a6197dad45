"""`aftercare eval`: score the engine on a labelled question set and explain where it goes wrong."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.answer import Answer, Engine
from bot.core.matcher import DEFAULT_THRESHOLD, Matcher
from bot.core.model import KnowledgeBase, Tier

OTHER = "other"
"""The label of questions no entry covers: the right behaviour is to abstain, or to hand over to the clinic's
team (an entry listed as `other` in the procedure's `topics:`, such as questions about price)."""
ALSO = "also"
"""An item's second topics: a two-part question ("can I take ibuprofen before?") answered with the label and
one of these is right."""


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
    handed_over_on_other: int = 0
    other_labelled: int = 0
    abstained_with_suggestions: int = 0
    suggested_right: int = 0
    """Abstentions on a topic the knowledge base has, where the right entry was among the suggestions."""
    abstained_on_topic: int = 0
    crises: int = 0
    crisis_tier: int = 0
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

    @property
    def abstained_pct(self) -> float:
        """Share of labelled items the engine abstained on, in percent."""
        return self._pct(self.abstained, self.labelled) if self.labelled else 0.0

    def passes_gate(self, min_right: float = 95.0, max_wrong: float = 2.0) -> bool:
        """The release bar: accuracy and confidently wrong answers within the bar (default >= 95%, <= 2%),
        every warning sign and crisis escalated in its tier, no false alarm, every day verdict right."""
        return (
            self.accuracy >= min_right
            and self.confidently_wrong_pct <= max_wrong
            and self.escalated == self.urgent
            and self.emergency_tier == self.emergencies
            and self.crisis_tier == self.crises
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


def evaluate(
    engine: Engine, procedure: str, items: list[dict[str, Any]], variant: str | None = None
) -> tuple[Report, list[Answer]]:
    """Answer every item (for `variant` of the procedure) and count what went right and wrong."""
    report = Report()
    answers = []
    for item in items:
        answer = engine.answer(item["q"], procedure, day=item.get("day"), variant=variant)
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


def is_right(item: dict[str, Any], answer: Answer) -> bool:
    """Whether the answer's topic is right for a labelled item.

    Right: the labelled topic; for a two-part question, the label among the answered topics led by one of the
    item's `also` topics; for `other`, abstaining or handing over to the clinic's team.
    """
    label = item.get("topic")
    also = item.get(ALSO) or []
    if label == OTHER:
        return answer.topic is None or answer.hand_over
    if answer.topic == label:
        return True
    return answer.topic in also and label in answer.topics


def _score_topic(report: Report, item: dict[str, Any], answer: Answer) -> None:
    label = item.get("topic")
    if label is None:
        return
    report.labelled += 1
    predicted = answer.topic or "(abstain)"
    report.confusion[label][predicted] += 1
    if answer.topic is None:
        report.abstained += 1
        if answer.suggestions:
            report.abstained_with_suggestions += 1
        if label != OTHER:
            report.abstained_on_topic += 1
            if label in {s.id for s in answer.suggestions}:
                report.suggested_right += 1
    if label == OTHER:
        report.other_labelled += 1
        if answer.topic is None:
            report.abstained_on_other += 1
        elif answer.hand_over:
            report.handed_over_on_other += 1
    if is_right(item, answer):
        report.correct += 1
        return
    if answer.topic is not None:
        report.confidently_wrong += 1
    report.misses.append(f"topic {predicted} != {label} ({answer.confidence:.2f}): {item['q']}")


def _score_urgency(report: Report, item: dict[str, Any], answer: Answer) -> None:
    if item.get("crisis"):
        report.crises += 1
        if answer.urgency is Tier.CRISIS:
            report.crisis_tier += 1
        else:
            report.misses.append(f"crisis not in the crisis tier: {item['q']}")
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
            f"abstained: {report._pct(report.abstained, report.labelled):.1f}% ({report.abstained}/"
            f"{report.labelled}; {report.abstained_on_other} of them on the {report.other_labelled} 'other' "
            f"items, {report.handed_over_on_other} more of those handed over to the clinic)",
        ]
        if report.abstained_on_topic:
            lines.append(
                f"right entry among the suggestions when abstaining: "
                f"{report._pct(report.suggested_right, report.abstained_on_topic):.1f}% "
                f"({report.suggested_right}/{report.abstained_on_topic})"
            )
    if report.urgent or report.not_urgent:
        lines += [
            f"warning-sign recall: {report._pct(report.escalated, report.urgent):.1f}% "
            f"({report.escalated}/{report.urgent})",
            f"emergency tier: {report.emergency_tier}/{report.emergencies}",
            *([f"crisis tier: {report.crisis_tier}/{report.crises}"] if report.crises else []),
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


# ------------------------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibration:
    """Leave-one-out over a procedure's own examples: each example is asked of a knowledge base without it.

    `points` holds, per example, the confidence of the decision and whether it was right, wrong or an
    abstention at the engine's threshold; `by_threshold` what the same decisions give at other thresholds.
    """

    examples: int
    points: tuple[tuple[float, str], ...]
    by_threshold: tuple[tuple[float, int, int, int], ...]


def leave_one_out(
    kb: KnowledgeBase, procedure_id: str, thresholds: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7)
) -> Calibration:
    """Ask every example of `procedure_id` of a matcher built without it, at each of `thresholds`.

    Data not used to build the matcher: the threshold is chosen on it, and the development sets check it.
    """
    procedure = kb.procedures[procedure_id]
    points: list[tuple[float, str]] = []
    rows = {t: [0, 0, 0] for t in thresholds}
    for index, entry in enumerate(procedure.entries):
        for number, example in enumerate(entry.examples):
            kept = replace(entry, examples=entry.examples[:number] + entry.examples[number + 1 :])
            without = replace(
                procedure, entries=(*procedure.entries[:index], kept, *procedure.entries[index + 1 :])
            )
            for threshold in thresholds:
                found = Matcher(without, kb.language, threshold).match(example)
                outcome = (
                    "abstain"
                    if found.entry_id is None
                    else ("right" if found.entry_id == entry.id else "wrong")
                )
                rows[threshold][("right", "wrong", "abstain").index(outcome)] += 1
                if threshold == DEFAULT_THRESHOLD:
                    points.append((found.confidence, outcome))
    table = tuple((t, rows[t][0], rows[t][1], rows[t][2]) for t in thresholds)
    return Calibration(sum(len(e.examples) for e in procedure.entries), tuple(points), table)


def render_calibration(calibration: Calibration) -> str:
    """The leave-one-out table: right, confidently wrong and abstained per threshold."""
    lines = [f"leave-one-out over {calibration.examples} examples; per threshold:"]
    for threshold, right, wrong, abstained in calibration.by_threshold:
        total = right + wrong + abstained or 1
        lines.append(
            f"  {threshold:.2f}: right {100 * right / total:.1f}%, confidently wrong "
            f"{100 * wrong / total:.1f}%, abstained {100 * abstained / total:.1f}%"
        )
    return "\n".join(lines)
