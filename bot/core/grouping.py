"""Grouping similar questions (for /unanswered and `aftercare kb suggest`): greedy fuzzy clustering."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils

SIMILAR = 72.0
"""token_sort_ratio (0-100) of the content words from which two questions count as the same question."""


def _key(text: str, stopwords: Collection[str]) -> str:
    """The words that carry the meaning ("can i dye my hair?" -> "dye hair"), else the whole text."""
    words = utils.default_process(text).split()
    content = [w for w in words if w not in stopwords]
    return " ".join(content or words)


@dataclass
class Group:
    """Questions that say the same thing; `example` is the first one seen."""

    example: str
    texts: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many times it was asked."""
        return len(self.texts)


def group_questions(
    texts: Iterable[str], cutoff: float = SIMILAR, stopwords: Collection[str] = frozenset()
) -> list[Group]:
    """Cluster `texts` by word-order-insensitive similarity; biggest groups first, then first seen.

    `stopwords` (the knowledge base's `language.stopwords`) are left out of the comparison."""
    groups: list[Group] = []
    keys: list[str] = []
    for text in texts:
        clean = " ".join(text.split())
        if not clean:
            continue
        key = _key(clean, stopwords)
        best = (
            process.extractOne(key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff) if keys else None
        )
        if best is None:
            groups.append(Group(clean, [clean]))
            keys.append(key)
        else:
            groups[best[2]].texts.append(clean)
    order = {id(g): i for i, g in enumerate(groups)}
    return sorted(groups, key=lambda g: (-g.count, order[id(g)]))
