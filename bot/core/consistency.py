"""Checks of what a knowledge base says, beyond its shape (`aftercare kb check`, and every reload of the
running bot): restriction words two entries claim, day numbers in an answer that contradict the entry's own
days, and answers that are still stubs. Each problem names the entry by its id."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from bot.core.language import Reader
from bot.core.loader import DEFAULT_VARIANT, VARIANT_KEYS, Problem
from bot.core.model import Kind, KnowledgeBase, Procedure
from bot.core.yamlsafe import LoadedYaml, strings

# --- 1. restriction words claimed twice ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    restriction: bool
    """A restriction word: a rule's keyword, or any keyword of a restriction entry."""
    path: tuple[str | int, ...]
    keyword: str


def keyword_collisions(procedure: Procedure, kb: KnowledgeBase, loaded: LoadedYaml) -> list[Problem]:
    """A restriction word (a rule's keyword, or a keyword of a restriction entry) that another entry of the
    same procedure claims as a keyword too: a question with it could be routed to either, and a rule's day
    would depend on the tie. Compared as the matcher reads them (stemmed), so "powdery" claims "powder"."""
    reader = Reader(kb.language, (procedure.name, procedure.title, *procedure.aliases))  # the matcher's
    claims: dict[tuple[str, ...], dict[str, _Claim]] = defaultdict(dict)
    for index, entry in enumerate(procedure.entries):
        restriction = entry.kind is Kind.RESTRICTION
        for number, keyword in enumerate(entry.keywords):
            claim = _Claim(restriction, ("entries", index, "keywords", number), keyword)
            claims[tuple(reader.stems(keyword))].setdefault(entry.id, claim)
        for rule_number, rule in enumerate(entry.restriction.rules if entry.restriction else ()):
            for number, keyword in enumerate(rule.keywords):
                path = ("entries", index, "restriction", "rules", rule_number, "keywords", number)
                claims[tuple(reader.stems(keyword))][entry.id] = _Claim(True, path, keyword)
    problems = []
    for phrase, owners in claims.items():
        if not phrase or len(owners) < 2 or not any(c.restriction for c in owners.values()):
            continue
        for entry_id, claim in sorted(owners.items()):
            others = ", ".join(f"'{i}' ('{c.keyword}')" for i, c in sorted(owners.items()) if i != entry_id)
            problems.append(
                Problem(
                    procedure.source,
                    loaded.line_of(claim.path),
                    f"entry '{entry_id}': keyword '{claim.keyword}' is claimed by entry {others} too, and a "
                    "restriction word must belong to one entry (remove it from one, or make it a longer "
                    "phrase)",
                )
            )
    return problems


# --- 2. day numbers that contradict the entry's own days ----------------------------------------------------

_RANGE_BEFORE = r"(?<![\d.,])(?<!\d\sto\s)(?<!\d-)(?<!\d–)(?<!\d\sor\s)(?<!every\s)"
_RANGE_AFTER = r"(?!\s*(?:to|-|–|or|and)\s*\d)"
DAY_MENTIONS = re.compile(
    rf"\bday\s+(?P<day>\d+)\b{_RANGE_AFTER}"  # "from about day 5", not "day 2 to 5"
    rf"|{_RANGE_BEFORE}\b(?P<days>\d+)(?:\s+|-)days?\b(?!\s+(?:before|ago|a\s+week))",  # "after 5 days"
    re.IGNORECASE,
)
"""How an answer names a day of recovery: "day N" and "N days" (also "a 7-day wait"). Deliberately narrow:
ranges ("1 to 2 days", "day 2-5") describe a normal course, "N days before" is preparation, and hours, weeks,
SPF 30 or a phone number are not days at all. Day 0 (the treatment day) is never a resume day claim."""


def day_contradictions(procedures: list[Procedure], loaded: LoadedYaml) -> list[Problem]:
    """An answer of a restriction entry that names a day other than the entry's own resume days (for the
    variant it is written for): "day 10" or "after 5 days" when `resume_day` is 3. Written with `{resume_day}`
    / `{resume_when}` (or `_<rule id>`), the answer follows an edit of the day instead."""
    problems: dict[tuple[int, str], Problem] = {}
    for procedure in procedures:
        for index, entry in enumerate(procedure.entries):
            if entry.restriction is None:
                continue
            own = {rule.resume_day for rule in entry.restriction.all_rules}
            for number in _mentioned_days(entry.answer):
                if number == 0 or number in own:
                    continue
                path = _answer_path(loaded, index, procedure.variant)
                days = ", ".join(str(d) for d in sorted(own))
                where = f" (variant {procedure.variant})" if procedure.variant and len(path) > 3 else ""
                message = (
                    f"entry '{entry.id}': the answer says day {number}, but the entry's resume days are "
                    f"{days}{where}; write {{resume_day}} or {{resume_when}} (or their _<rule id> forms) "
                    "instead of the number"
                )
                line = loaded.line_of(path)
                problems.setdefault((line, message), Problem(procedure.source, line, message))
    return list(problems.values())


def _mentioned_days(text: str) -> Iterator[int]:
    for found in DAY_MENTIONS.finditer(text):
        yield int(found.group("day") or found.group("days"))


def _answer_path(loaded: LoadedYaml, index: int, variant: str | None) -> tuple[str | int, ...]:
    """Where the answer of entry `index` for `variant` is written (its own key when written per variant)."""
    entries = loaded.data.get("entries") if isinstance(loaded.data, dict) else None
    entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
    answer = entry.get("answer") if isinstance(entry, dict) else None
    if isinstance(answer, dict):
        key = variant if variant in answer else DEFAULT_VARIANT
        return ("entries", index, "answer", str(key))
    return ("entries", index, "answer")


# --- 3. answers that are still stubs -----------------------------------------------------------------------

STUB_MARKERS = re.compile(r"\b(?:TODO|TBD|FIXME|XXX)\b|\blorem\s+ipsum\b|\blorem\b", re.IGNORECASE)
"""What a text not yet written says (`aftercare kb suggest` writes "TODO: the answer, ..." in a new entry)."""
PATIENT_TEXT_KEYS = frozenset({"answer", "late_answer", "reply", "text"})
"""Keys whose text a patient reads: too short to say anything is a stub too."""
MIN_WORDS = 3


def unfinished_texts(name: str, loaded: LoadedYaml) -> list[Problem]:
    """Texts with a to-do marker ("TODO", "TBD", "lorem ipsum"), and patient texts of fewer than three
    words ("...", "tbc"): a stub must not reach a patient."""
    problems = []
    for path, text in strings(loaded.data):
        key = _text_key(path)
        if STUB_MARKERS.search(text):
            what = "a placeholder (TODO, TBD, lorem ipsum)"
        elif key in PATIENT_TEXT_KEYS and len(re.findall(r"[^\W\d_]{2,}", text)) < MIN_WORDS:
            what = "empty or too short to answer anything"
        else:
            continue
        problems.append(
            Problem(name, loaded.line_of(path), f"{_owner(loaded, path)}{key or 'text'} is {what}: write it")
        )
    return problems


def _text_key(path: tuple[str | int, ...]) -> str | None:
    """The key a text is written under, skipping a variant level (`answer: {default: ..., medium: ...}`)."""
    keys = [p for p in path if isinstance(p, str)]
    if len(keys) >= 2 and keys[-2] in VARIANT_KEYS:
        return keys[-2]
    return keys[-1] if keys else None


def _owner(loaded: LoadedYaml, path: tuple[str | int, ...]) -> str:
    """ "entry 'retinoids': " for a text inside an entry (or a warning sign), else ""."""
    node: object = loaded.data
    for part, next_part in itertools.pairwise(path):
        node = node.get(part) if isinstance(node, dict) and isinstance(part, str) else None
        if part in ("entries", "signs") and isinstance(node, list) and isinstance(next_part, int):
            item = node[next_part] if next_part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str):
                return f"{'entry' if part == 'entries' else 'warning sign'} '{ident}': "
    return ""
