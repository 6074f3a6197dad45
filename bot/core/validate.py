"""`aftercare kb check`: every problem in a knowledge-base folder, as `file:line: message`."""

from __future__ import annotations

from pathlib import Path

from bot.core.consistency import day_contradictions, keyword_collisions, unfinished_texts
from bot.core.loader import MESSAGES_FILE, LoadResult, Monotonic, Problem, load_folder
from bot.core.matcher import Matcher
from bot.core.message_keys import REQUIRED_MESSAGES, WARNING_QUESTIONS
from bot.core.model import KnowledgeBase, Procedure, Tier
from bot.core.text import placeholders
from bot.core.yamlsafe import LoadedYaml, strings

KNOWN_PLACEHOLDERS = frozenset(
    {
        "day",
        "from_day",
        "subject",
        "when",
        "procedure",
        "clinic_name",
        "clinic_phone",
        "emergency_number",
        "crisis_line",
        "until_day",
        "weekday",
        "date_day",
        "month",
        "year",
        "name",
        "title",
        "count",
        "days",
        "date",
        "topic",
        "subjects",
        "previous_day",
        "tomorrow_day",
        "patient_days",
        # staff chat and handoff texts
        "number",
        "text",
        "tier",
        "option",
        "answers",
        "staff",
        "where",
        "url",
        "until",
        "answer",
        "minutes",
        "enrolled",
        "answered",
        "abstained",
        "warning_signs",
        "rate",
        "alerts",
        "acknowledged",
        "problems",
        "hours",
        "since",
        "limit",
        # an entry's own days (see ENTRY_DAY_PREFIXES for a named rule's)
        "resume_day",
        "resume_when",
        "resume_hours",
        "normal_until_day",
    }
)
ENTRY_DAY_PREFIXES = ("resume_day_", "resume_when_", "resume_hours_")
"""`{resume_day_<rule id>}`, `{resume_when_<rule id>}` and `{resume_hours_<rule id>}`: the day of a
restriction rule with that id."""


def check_folder(
    folder: Path, routing: bool = True, monotonic: Monotonic | None = None
) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load `folder` and run every check; the knowledge base is returned only when there is no problem.

    `routing` also matches every example question against the whole knowledge base: a quality check for
    `aftercare kb check`, left out when the bot loads its knowledge so that one odd example cannot stop it.
    """
    result = load_folder(folder, monotonic)
    problems: list[Problem] = list(result.problems)
    # The files that did load are checked even when another one did not: every problem in one run.
    kb = result.kb or result.partial
    if kb is not None:
        for procedure in kb.procedures.values():
            problems.extend(_check_procedure(procedure, kb, result, routing))
    problems.extend(_check_placeholders(result))
    for name, loaded in result.lines.items():
        problems.extend(unfinished_texts(name, loaded))
    if not any(p.file.endswith(MESSAGES_FILE) for p in result.problems):
        problems.extend(_check_messages(result))
    problems = sorted(set(problems))
    return (None if problems else result.kb), problems


def _check_procedure(
    procedure: Procedure, kb: KnowledgeBase, result: LoadResult, routing: bool
) -> list[Problem]:
    name = procedure.source
    loaded = result.lines[name]
    problems = []
    for topic, kind in procedure.topics.items():
        entry = procedure.entry(topic)
        if entry is None:
            problems.append(Problem(name, loaded.line_of(("entries",)), f"missing entry for topic '{topic}'"))
        elif entry.kind is not kind:
            index = procedure.entries.index(entry)
            line = loaded.line_of(("entries", index, "kind"))
            problems.append(Problem(name, line, f"entry '{topic}': kind must be '{kind.value}'"))
    if procedure.kinds and len(procedure.name.split()) < 2:
        # Kinds stand before the last word of a name of several words ("a TCA peel"): nothing to stand before.
        line = loaded.line_of(("procedure", "kinds"))
        problems.append(
            Problem(name, line, f"procedure kinds: have no effect, the name '{procedure.name}' is one word")
        )
    problems.extend(keyword_collisions(procedure, kb, loaded))
    variants = [kb.procedure(procedure.id, v.id) for v in procedure.variants] or [procedure]
    problems.extend(day_contradictions(variants, loaded))
    if routing:
        problems.extend(_check_routing(procedure, loaded, kb))
    return problems


def _check_routing(procedure: Procedure, loaded: LoadedYaml, kb: KnowledgeBase) -> list[Problem]:
    problems = []
    matcher = Matcher(procedure, kb.language)
    for index, entry in enumerate(procedure.entries):
        for number, keyword in enumerate(entry.keywords):
            if matcher.says_nothing(keyword):
                line = loaded.line_of(("entries", index, "keywords", number))
                problems.append(
                    Problem(
                        procedure.source,
                        line,
                        f"entry '{entry.id}': keyword '{keyword}' says nothing once read (one stopword "
                        "or hedge, after stemming): make it longer or remove it",
                    )
                )
        for number, example in enumerate(entry.examples):
            routed = matcher.match(example)
            if routed.entry_id is not None and routed.entry_id != entry.id:
                line = loaded.line_of(("entries", index, "examples", number))
                problems.append(
                    Problem(
                        procedure.source,
                        line,
                        f"example of '{entry.id}' is matched to '{routed.entry_id}' instead",
                    )
                )
    return problems


def _check_placeholders(result: LoadResult) -> list[Problem]:
    problems = []
    for name, loaded in result.lines.items():
        for path, text in strings(loaded.data):
            unknown = {
                p for p in placeholders(text) - KNOWN_PLACEHOLDERS if not _own_rule_day(loaded, path, p)
            }
            if unknown:
                line = loaded.line_of(path)
                listed = ", ".join("{" + u + "}" for u in sorted(unknown))
                problems.append(Problem(name, line, f"unknown placeholder {listed}"))
    return problems


def _own_rule_day(loaded: LoadedYaml, path: tuple[str | int, ...], name: str) -> bool:
    """`{resume_day_<id>}` inside an entry whose restriction has a rule with that id."""
    prefix = next((p for p in ENTRY_DAY_PREFIXES if name.startswith(p)), None)
    if prefix is None or len(path) < 2 or path[0] != "entries" or not isinstance(loaded.data, dict):
        return False
    entries = loaded.data.get("entries")
    entry = entries[path[1]] if isinstance(entries, list) and isinstance(path[1], int) else None
    restriction = entry.get("restriction") if isinstance(entry, dict) else None
    rules = restriction.get("rules") if isinstance(restriction, dict) else None
    ids = {r.get("id") for r in rules if isinstance(r, dict)} if isinstance(rules, list) else set()
    return name[len(prefix) :] in ids


def _check_messages(result: LoadResult) -> list[Problem]:
    """Every text the bot uses is present, and the check-in warning questions are well formed."""
    found = [(name, loaded) for name, loaded in result.lines.items() if name.endswith(MESSAGES_FILE)]
    if not found:
        return []
    name, loaded = found[0]
    problems = []
    for key in REQUIRED_MESSAGES:
        node = _lookup(loaded.data, key)
        if not isinstance(node, str | list) or not node:
            parent = tuple(key.split(".")[:-1])
            problems.append(Problem(name, loaded.line_of(parent), f"{key}: required text is missing"))
    questions = _lookup(loaded.data, WARNING_QUESTIONS)
    path = tuple(WARNING_QUESTIONS.split("."))
    if not isinstance(questions, list) or not questions:
        problems.append(Problem(name, loaded.line_of(path), f"{WARNING_QUESTIONS}: required list is missing"))
        return problems
    tiers = {tier.value for tier in Tier}
    for index, item in enumerate(questions):
        ok = isinstance(item, dict) and set(item) == {"tier", "text"} and item.get("tier") in tiers
        if not ok or not isinstance(item.get("text"), str):
            problems.append(
                Problem(
                    name,
                    loaded.line_of((*path, index)),
                    f"{WARNING_QUESTIONS}[{index}]: needs exactly 'tier' "
                    f"({', '.join(sorted(tiers))}) and 'text'",
                )
            )
    return problems


def _lookup(data: object, dotted: str) -> object:
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node
