"""Several treatments of one patient: which one a question is about, and the strictest wait across those
still healing (a patient treated twice waits for whichever wait ends later).

Pure: the dates come in as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.core.model import KnowledgeBase
from bot.core.text import normalize


@dataclass(frozen=True)
class Course:
    """One treatment as the answers need it: what, which kind, when, and the provider's holds."""

    procedure: str
    treated_on: date
    variant: str | None = None
    holds: Mapping[str, int] = field(default_factory=dict)


def named_in(kb: KnowledgeBase, text: str, courses: Sequence[Course]) -> Course | None:
    """The one course whose procedure `text` names (by its name, title or an alias); None when it names none
    of them, or several."""

    def fold(words: str) -> str:
        return normalize(words, kb.language.contractions)

    words = f" {fold(text)} "
    found = []
    for course in courses:
        procedure = kb.procedures.get(course.procedure)
        if procedure is None:
            continue
        names = (procedure.name, procedure.title, *procedure.aliases)
        if any(f" {fold(n)} " in words for n in names if fold(n)):
            found.append(course)
    procedures = {c.procedure for c in found}
    return found[0] if len(procedures) == 1 else None


def still_healing(kb: KnowledgeBase, course: Course, today: date) -> bool:
    """Whether something of this treatment is still on hold today."""
    procedure = kb.procedure(course.procedure, course.variant).with_holds(course.holds)
    day = (today - course.treated_on).days
    return any(
        day < rule.resume_day
        for entry in procedure.entries
        if entry.restriction is not None
        for rule in entry.restriction.all_rules
    )


def strictest_holds(
    kb: KnowledgeBase, chosen: Course, others: Sequence[Course], today: date
) -> dict[str, int]:
    """The holds to answer `chosen` with: its own, raised wherever another treatment still healing makes the
    same wait end later (counted in days of `chosen`). Never earlier than the knowledge base's own day."""
    holds = dict(chosen.holds)
    mine = kb.procedure(chosen.procedure, chosen.variant).with_holds(chosen.holds)
    for other in others:
        if other is chosen or not still_healing(kb, other, today):
            continue
        theirs = kb.procedure(other.procedure, other.variant).with_holds(other.holds)
        offset = (other.treated_on - chosen.treated_on).days
        for entry in mine.entries:
            twin = theirs.entry(entry.id)
            if entry.restriction is None or twin is None or twin.restriction is None:
                continue
            ends = twin.restriction.main.resume_day + offset
            if ends > max(entry.restriction.main.resume_day, holds.get(entry.id, 0)):
                holds[entry.id] = ends
    return holds
