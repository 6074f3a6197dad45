"""`aftercare eval`: score the engine on a labelled question set and explain where it goes wrong."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.answer import Answer, Engine
from bot.core.matcher import DEFAULT_THRESHOLD, Matcher
from bot.core.model import KnowledgeBase, Tier
from bot.core.yamlsafe import LoadedYaml, YamlProblem, load_yaml_text

OTHER = "other"
"""The label of questions no entry covers: the right behaviour is to abstain, or to hand over to the clinic's
team (an entry listed as `other` in the procedure's `topics:`, such as questions about price)."""
ALSO = "also"
"""An item's second topics: a two-part question ("can I take ibuprofen before?") answered with the label and
one of these is right."""


ITEM_KEYS: dict[str, str] = {
    "q": "the question, as a patient would write it (required)",
    "topic": "the entry id that should answer it, or `other`: no entry should (abstain or hand over)",
    ALSO: "entry ids that may lead a two-part answer, with the topic among the answered ones",
    "day": "the patient's day of recovery (0 = treatment day)",
    "allowed": "the restriction verdict expected on that day (true: allowed now)",
    "urgent": "true: a warning sign that must be escalated; false: must not be",
    "emergency": "with urgent: the emergency tier is expected",
    "crisis": "the crisis tier is expected (thoughts of suicide or self-harm, an overdose)",
    "source": "where the question was found (not scored)",
    "written": "true when the team wrote the question rather than found it (not scored)",
}
"""Every key an item of a question file may have; anything else is reported (a typo would be ignored)."""
_BOOLEAN_KEYS = ("allowed", "urgent", "emergency", "crisis", "written")


@dataclass(frozen=True, order=True)
class EvalProblem:
    """One thing wrong with a question file, at a 1-based line."""

    line: int
    message: str


class EvalFileError(Exception):
    """The question file cannot be scored; `problems` says why, each at its line."""

    def __init__(self, problems: Sequence[EvalProblem] | str) -> None:
        found = [EvalProblem(1, problems)] if isinstance(problems, str) else sorted(problems)
        super().__init__("\n".join(f"line {p.line}: {p.message}" for p in found))
        self.problems = found


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
    verdicts_wrong: int = 0
    """Day verdicts given and wrong (allowed for not yet, or the other way); other misses asked back."""
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


def read_items(text: str, topics: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Parse and check a question file's text (see `parse_items`); YAML errors carry their line too."""
    try:
        loaded = load_yaml_text(text)
    except YamlProblem as exc:
        raise EvalFileError([EvalProblem(exc.line, exc.message)]) from None
    return parse_items(loaded.data, topics, loaded)


def parse_items(
    data: Any, topics: Collection[str] | None = None, loaded: LoadedYaml | None = None
) -> list[dict[str, Any]]:
    """Check a loaded question file: a list of mappings, each with a text `q` and only the keys of
    `ITEM_KEYS`, with values of the right type. With `topics` (the procedure's entry ids), a `topic` or an
    `also` that is none of them (nor `other` for a topic) is refused too: it could never be answered right.
    Every problem is reported at once (`EvalFileError.problems`), at its line when `loaded` gives lines."""

    def line(*path: str | int) -> int:
        return loaded.line_of(path) if loaded is not None else 1

    if not isinstance(data, list):
        raise EvalFileError([EvalProblem(1, "the file must be a YAML list of items, each with a 'q'")])
    problems: list[EvalProblem] = []
    for index, item in enumerate(data):
        number = index + 1
        if not isinstance(item, dict):
            problems.append(EvalProblem(line(index), f"item {number} is not a mapping with a 'q'"))
            continue
        for key in item:
            if key not in ITEM_KEYS:
                known = ", ".join(ITEM_KEYS)
                problems.append(
                    EvalProblem(line(index, str(key)), f"item {number}: unknown key '{key}' (known: {known})")
                )
        question = item.get("q")
        if not isinstance(question, str) or not question.strip():
            problems.append(EvalProblem(line(index, "q"), f"item {number} has no text 'q'"))
        day = item.get("day")
        if day is not None and (not isinstance(day, int) or isinstance(day, bool) or day < 0):
            problems.append(
                EvalProblem(
                    line(index, "day"), f"item {number}: 'day' must be a whole number of days, 0 or more"
                )
            )
        for key in _BOOLEAN_KEYS:
            if key in item and not isinstance(item[key], bool):
                problems.append(
                    EvalProblem(line(index, key), f"item {number}: '{key}' must be true or false")
                )
        if "source" in item and not isinstance(item["source"], str):
            problems.append(EvalProblem(line(index, "source"), f"item {number}: 'source' must be text"))
        problems.extend(_topic_problems(item, index, topics, line))
    if problems:
        raise EvalFileError(problems)
    return data


def _topic_problems(
    item: dict[Any, Any], index: int, topics: Collection[str] | None, at: Callable[..., int]
) -> list[EvalProblem]:
    """A `topic` and `also` that name entries of the procedure (`topics`), or `other` for a topic."""
    number = index + 1

    def line(*path: str | int) -> int:
        return at(index, *path)

    problems = []
    topic = item.get("topic")
    if "topic" in item and not isinstance(topic, str):
        problems.append(
            EvalProblem(line("topic"), f"item {number}: 'topic' must be an entry id or '{OTHER}'")
        )
    elif topics is not None and topic is not None and topic != OTHER and topic not in topics:
        problems.append(
            EvalProblem(
                line("topic"),
                f"item {number}: unknown topic '{topic}': not an entry id of the procedure "
                f"(label '{OTHER}' when no entry should answer)",
            )
        )
    also = item.get(ALSO)
    if ALSO in item and (not isinstance(also, list) or not all(isinstance(a, str) for a in also)):
        problems.append(EvalProblem(line(ALSO), f"item {number}: '{ALSO}' must be a list of entry ids"))
    elif topics is not None and isinstance(also, list):
        for position, other in enumerate(also):
            if other not in topics:
                problems.append(
                    EvalProblem(
                        line(ALSO, position),
                        f"item {number}: unknown topic '{other}' in '{ALSO}': "
                        "not an entry id of the procedure",
                    )
                )
    return problems


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
                report.verdicts_wrong += answer.allowed_now is not None
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
        lines.append(
            f"day verdicts right: {report.verdicts_right}/{report.with_verdict}"
            f" ({report.verdicts_wrong} wrong, the rest asked back)"
        )
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
