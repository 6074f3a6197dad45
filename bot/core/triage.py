"""The warning-sign screen: runs first on every message and never plays a warning sign down.

It is tolerant of typos, spacing and invisible characters, and aware of two things that are *not* warning
signs: negation ("no fever, no pus") and questions about signs ("what does an infection look like?",
"should I take an antiviral if I get cold sores?"). When in doubt it escalates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.model import Procedure, Tier, WarningSign
from bot.core.text import NEGATIONS, normalize, stem, strip_invisible

_CLAUSE_SPLIT = re.compile(r"[?!.;\n,:]+|\bbut\b|\bhowever\b|\bthough\b|\balthough\b", re.IGNORECASE)
_NEGATION_LOOKBACK = 3
MAX_SCREEN_CHARS = 10_000
"""The screen reads every character of a Telegram message (4,096) and more: a sign at the end counts."""
_WINDOW_SLACK = 3
_COMPACT_MIN = 8

# Grammar, not wording: cues that a clause asks *about* a sign rather than reports one. Each cue is a set of
# word runs that must all appear in the clause ("what" ... "look like").
_HYPOTHETICAL_CUES = (
    "if i get", "if i got", "if you get", "if they get", "if someone get", "if i develop", "if you develop",
    "if i notice", "if you notice", "if i see", "if you see", "if i start", "if it start", "if i ever",
    "if i were", "what if", "in case", "how do i know", "how can i tell", "how will i know",
    "how would i know",
    "how do you know", "how to tell", "how do i tell", "how do you tell", "ever / normal", "ever / happen",
    "do people ever", "get / once a",
    "get / every", "get / occasionally", "get / time to time", "get / now and then", "get / a year",
    "get / often",
    "what / look like", "what / looks like", "sign of", "signs of",
    "symptom of", "symptoms of", "history of", "prone to", "tend to get", "usually get", "get / sometimes",
    "risk of", "risks of", "chance of", "chances of", "prevent", "avoid", "does microneedling cause",
    "can microneedling cause", "will microneedling cause", "does it cause", "can it cause", "will it cause",
    "what count as", "what counts as", "is it possible to get", "can you get", "could i get", "will i get",
    "might i get",
)  # fmt: skip
_HYPOTHETICAL = tuple(
    tuple(tuple(stem(w) for w in part.split()) for part in cue.split(" / ")) for cue in _HYPOTHETICAL_CUES
)
# A clause that also reports something happening now is a report, whatever else it says: "I have a history
# of cold sores and now there are blisters on my lip".
_REPORT_MARKERS = tuple(
    tuple(stem(w) for w in marker.split())
    for marker in (
        "now", "today", "tonight", "this morning", "this evening", "came up", "come up", "appeared",
        "broke out", "woke up", "covered in", "right now", "at the moment",
    )
)  # fmt: skip
# "never had anything like this" reports something new; it does not deny it.
_NEVER_REPORTS = tuple(
    (tuple(stem(w) for w in m.split()),) for m in ("like this", "before", "this bad", "so bad")
)
_MILD = tuple(
    (tuple(stem(w) for w in q.split()),)
    for q in ("a little", "a bit", "slightly", "mild", "mildly", "a tad", "barely")
)


@dataclass(frozen=True)
class Screening:
    """The result of screening one message: the most urgent tier found and which signs fired."""

    tier: Tier
    signs: tuple[str, ...]
    topic: str | None

    @property
    def red_flag(self) -> bool:
        """True when a person at the clinic must be involved today."""
        return self.tier.is_red_flag


@dataclass(frozen=True)
class _Pattern:
    sign: WarningSign
    phrases: tuple[tuple[str, ...], ...]
    with_any: tuple[tuple[str, ...], ...]
    compact: tuple[str, ...]


class Screener:
    """Screens messages for one procedure's warning signs."""

    def __init__(self, procedure: Procedure) -> None:
        self.procedure = procedure
        vocabulary: set[str] = set()
        patterns = []
        for sign in procedure.signs:
            phrases = tuple(_stems(p) for p in sign.phrases)
            with_any = tuple(_stems(p) for p in sign.with_any)
            for phrase in (*phrases, *with_any):
                vocabulary.update(phrase)
            compact = tuple(c for c in (_compact(p) for p in sign.phrases) if len(c) >= _COMPACT_MIN)
            patterns.append(_Pattern(sign, phrases, with_any, compact))
        self._patterns = tuple(patterns)
        by_word: dict[str, set[int]] = {}
        for index, pattern in enumerate(patterns):
            for phrase in pattern.phrases:
                if phrase:  # a phrase can only match where its longest word stands
                    by_word.setdefault(max(phrase, key=len), set()).add(index)
        self._by_word = by_word
        self._with_compact = {i for i, p in enumerate(patterns) if p.compact}
        self._vocabulary = frozenset(vocabulary)
        self._long_words = sorted(w for w in vocabulary if len(w) >= 5)
        self._cache: dict[str, str] = {}

    def _canonical(self, word: str) -> str:
        if word in self._vocabulary or len(word) < 5 or not word.isalpha():
            return word
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        best = process.extractOne(word, self._long_words, scorer=fuzz.ratio, score_cutoff=84)
        result = best[0] if best else word
        # Only typos of the knowledge base's own words are remembered: other words patients type are not kept.
        if result != word and len(self._cache) < 10_000:
            self._cache[word] = result
        return result

    def screen(self, text: str, day: int | None) -> Screening | None:
        """The most urgent warning sign in `text` for a patient on `day` (None when unknown), or None."""
        clauses = [
            [self._canonical(stem(w)) for w in normalize(c, limit=None).split()]
            for c in _CLAUSE_SPLIT.split(text[:MAX_SCREEN_CHARS])
        ]
        # Clauses that ask *about* a sign are set aside once, before any pattern is tried.
        every_clause = [c for c in clauses if c]
        clauses = [c for c in every_clause if not _asks_about_signs(c)]
        compact_text = _compact(text[:MAX_SCREEN_CHARS])
        fired: list[tuple[Tier, WarningSign]] = []
        present = {word for clause in every_clause for word in clause}
        candidates = {
            i for i in self._with_compact if any(c in compact_text for c in self._patterns[i].compact)
        }
        for word in present:
            candidates |= self._by_word.get(word, set())
        for index in sorted(candidates):
            pattern = self._patterns[index]
            sign = pattern.sign
            if sign.from_day is not None and day is not None and day < sign.from_day:
                continue
            tier = self._fires(pattern, clauses, every_clause, compact_text)
            if tier is not None:
                fired.append((tier, sign))
        if not fired:
            return None
        fired.sort(key=lambda item: item[0].rank)
        top_tier = fired[0][0]
        topic = next((s.topic for t, s in fired if t == top_tier and s.topic), None)
        return Screening(top_tier, tuple(s.id for _, s in fired), topic)

    def _fires(
        self, pattern: _Pattern, clauses: list[list[str]], every_clause: list[list[str]], compact_text: str
    ) -> Tier | None:
        sign = pattern.sign
        for clause in clauses:
            hit = any(_find(clause, phrase, self._vocabulary) for phrase in pattern.phrases)
            if not hit:
                continue
            # The companion word may stand in another clause: "swelling went down, but it came back worse".
            if pattern.with_any and not any(
                _find(other, extra, self._vocabulary) for other in clauses for extra in pattern.with_any
            ):
                continue
            if sign.mild_tier is not None and _has_any(clause, _MILD):
                return sign.mild_tier
            return sign.tier
        # Words run together ("cantbreathe"): only when no clause held the phrase, negated or not.
        if (
            not pattern.with_any
            and any(c in compact_text for c in pattern.compact)
            and not any(
                _find(c, p, self._vocabulary, negation_aware=False)
                for c in every_clause
                for p in pattern.phrases
            )
        ):
            return sign.tier
        return None


def _stems(phrase: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in normalize(phrase).split())


def _compact(text: str) -> str:
    text = strip_invisible(unicodedata.normalize("NFKC", text)).casefold()
    return re.sub(r"[^a-z]", "", text)


def _has_any(words: list[str], cues: tuple[tuple[tuple[str, ...], ...], ...]) -> bool:
    """True when every run of some cue appears in `words`."""
    present = set(words)
    return any(
        all(present.issuperset(run) for run in cue) and all(_contiguous(words, run) for run in cue)
        for cue in cues
    )


def _contiguous(words: list[str], cue: tuple[str, ...]) -> bool:
    size = len(cue)
    return any(tuple(words[i : i + size]) == cue for i in range(len(words) - size + 1))


def _find(
    words: list[str], phrase: tuple[str, ...], vocabulary: frozenset[str], negation_aware: bool = True
) -> bool:
    """True when the phrase's words stand close together (any order) and are not negated."""
    if not phrase:
        return False
    size = len(phrase)
    window = size + (_WINDOW_SLACK if size > 1 else 0)
    for start, word in enumerate(words):
        if word != phrase[0] and word not in phrase:
            continue
        span = words[start : start + window]
        if all(part in span for part in phrase):
            if negation_aware and _negated(words, start, vocabulary):
                continue
            return True
    return False


def _negated(words: list[str], position: int, vocabulary: frozenset[str]) -> bool:
    """True when a negation stands just before `position`, or before a list it belongs to.

    "no swelling or fever" and "not seeing any pus or blisters" negate every item of the list; "no fever and
    there is pus" does not negate the pus, because words other than list items stand between.
    """
    while True:
        before = position - 1
        while before >= 0 and words[before] in _LIST_FILLERS:
            before -= 1
        joined = before < position - 1 and any(w in _COORDINATORS for w in words[before + 1 : position])
        if joined and before >= 0 and words[before] in vocabulary:
            while before > 0 and words[before - 1] in vocabulary:
                before -= 1  # the start of the previous list item, e.g. "yellow crust"
            position = before
            continue
        window = words[max(0, position - _NEGATION_LOOKBACK) : position]
        if "never" in window and _has_any(words, _NEVER_REPORTS):
            window = [w for w in window if w != "never"]
        return any(word in NEGATIONS for word in window)


def _asks_about_signs(clause: list[str]) -> bool:
    """True for a clause that asks about warning signs rather than reporting one."""
    return _has_any(clause, _HYPOTHETICAL) and not _has_any(clause, tuple((m,) for m in _REPORT_MARKERS))


_COORDINATORS = frozenset({"or", "and", "nor"})
_LIST_FILLERS = _COORDINATORS | {"any", "a", "an", "the", "some"}
