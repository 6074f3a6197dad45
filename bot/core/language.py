"""The language patients write in, as data: `knowledge/language.yaml` turned into ready-to-use word sets.

Nothing here knows a procedure. A cue may contain `{procedure}`, which `Language.phrases` expands into every
name of the procedure being read (its name, title and aliases).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.core.text import MAX_INPUT_CHARS, Stemming, normalize, stem

PROCEDURE_PLACEHOLDER = "{procedure}"
PART_SEPARATOR = " / "
"""Separates the parts of a cue whose parts must all appear, in any order ("what / look like")."""

Phrase = tuple[str, ...]
Cue = tuple[Phrase, ...]


@dataclass(frozen=True)
class Language:
    """Every word list that reads patients' messages (see `knowledge/language.yaml` for what each means)."""

    stopwords: frozenset[str] = frozenset()
    frame: frozenset[str] = frozenset()
    negations: frozenset[str] = frozenset()
    contractions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    stemming: Stemming = field(default_factory=Stemming)
    plurals: tuple[str, ...] = ()
    leading: frozenset[str] = frozenset()
    anywhere: frozenset[str] = frozenset()
    pairs: tuple[str, ...] = ()
    statement_starts: frozenset[str] = frozenset()
    refers_back: frozenset[str] = frozenset()
    procedure_pronouns: frozenset[str] = frozenset()
    joiners: tuple[str, ...] = ()
    restriction: tuple[str, ...] = ()
    symptom: tuple[str, ...] = ()
    tomorrow: tuple[str, ...] = ()
    preparation_topic: str | None = None
    before: tuple[str, ...] = ()
    not_before: tuple[str, ...] = ()
    course: tuple[str, ...] = ()
    clause_breaks: tuple[str, ...] = ()
    coordinators: frozenset[str] = frozenset()
    list_fillers: frozenset[str] = frozenset()
    asks_about: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    never_reports: tuple[str, ...] = ()
    mild: tuple[str, ...] = ()
    crisis: tuple[str, ...] = ()
    crisis_exclusions: tuple[str, ...] = ()

    def normalize(self, text: str, limit: int | None = MAX_INPUT_CHARS) -> str:
        """`text` as lower-case words with contractions expanded (see `bot.core.text.normalize`)."""
        return normalize(text, self.contractions, limit)

    def tokens(self, text: str, limit: int | None = MAX_INPUT_CHARS) -> list[str]:
        """The words of `text`, normalised."""
        return self.normalize(text, limit).split()

    def stem(self, word: str) -> str:
        """The stem of one normalised word."""
        return stem(word, self.stemming)

    def stems(self, text: str) -> Phrase:
        """The stems of the words of `text`."""
        return tuple(self.stem(w) for w in self.tokens(text, None))


class Reader:
    """A language read for one procedure: its names fill `{procedure}`, and no other word's stem merges with a
    one-word name of it (when "peel" names the procedure, "peeling" keeps its own form; a plural of the name,
    "peels", still names it)."""

    _CACHE_LIMIT = 20_000

    def __init__(self, language: Language, names: Sequence[str]) -> None:
        self.language = language
        self.names = tuple(dict.fromkeys(n for n in names if n.strip()))
        single = {n for n in (language.normalize(x, None) for x in self.names) if n and " " not in n}
        self._names = frozenset(single)
        self._name_stems = frozenset(language.stem(n) for n in single)
        self._plural_names = frozenset(n + p for n in single for p in language.plurals)
        self._cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        """The stem of one normalised word, never merged with a name of the procedure by accident."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        result = self.language.stem(word)
        if result in self._name_stems and word not in self._names and word not in self._plural_names:
            result = word
        if len(self._cache) < self._CACHE_LIMIT:
            self._cache[word] = result
        return result

    def tokens(self, text: str, limit: int | None = MAX_INPUT_CHARS) -> list[str]:
        """The words of `text`, normalised."""
        return self.language.tokens(text, limit)

    def stems(self, text: str, limit: int | None = None) -> Phrase:
        """The stems of the words of `text`."""
        return tuple(self.stem(w) for w in self.language.tokens(text, limit))

    def phrases(self, cues: Iterable[str]) -> tuple[Phrase, ...]:
        """Cues as stem sequences, `{procedure}` replaced by each name; longest first, without duplicates."""
        found: dict[Phrase, None] = {}
        for cue in cues:
            for text in _expand(cue, self.names):
                stems = self.stems(text)
                if stems:
                    found[stems] = None
        return tuple(sorted(found, key=len, reverse=True))

    def cues(self, cues: Iterable[str]) -> tuple[Cue, ...]:
        """Cues whose parts (separated by " / ") must all appear, as stem sequences."""
        found: dict[Cue, None] = {}
        for cue in cues:
            for text in _expand(cue, self.names):
                parts = tuple(self.stems(part) for part in text.split(PART_SEPARATOR))
                if all(parts):
                    found[parts] = None
        return tuple(found)

    def word_stems(self, words: Iterable[str]) -> frozenset[str]:
        """The stems of single words."""
        return frozenset(self.stem(w) for w in words)


def _expand(cue: str, names: Sequence[str]) -> list[str]:
    if PROCEDURE_PLACEHOLDER not in cue:
        return [cue]
    return [cue.replace(PROCEDURE_PLACEHOLDER, name) for name in names]


def contains(words: Sequence[str], phrase: Phrase) -> bool:
    """True when `phrase` occurs in `words` as a contiguous run."""
    size = len(phrase)
    if size == 0 or size > len(words):
        return False
    first = phrase[0]
    return any(
        words[i] == first and tuple(words[i : i + size]) == phrase for i in range(len(words) - size + 1)
    )


def has_cue(words: Sequence[str], cues: Iterable[Cue]) -> bool:
    """True when every part of some cue occurs in `words`."""
    present = set(words)
    return any(
        all(present.issuperset(part) for part in cue) and all(contains(words, part) for part in cue)
        for cue in cues
    )


def find_phrase(words: Sequence[str], phrases: Iterable[Phrase]) -> int:
    """The position of the first of `phrases` found in `words` (-1 when none is)."""
    for phrase in phrases:
        size = len(phrase)
        for i in range(len(words) - size + 1):
            if words[i] == phrase[0] and tuple(words[i : i + size]) == phrase:
                return i
    return -1
