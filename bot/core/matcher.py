"""Route a patient's question to the knowledge-base entry that answers it, or abstain.

Real questions share most of their words ("how long after microneedling can I use ...") and differ in one, so
whole-sentence similarity alone is weak. The matcher therefore works on words:

1. normalise, fix typos against the knowledge base's own vocabulary, merge split words ("make up");
2. find keyword phrases, longest first, so "tinted sunscreen" counts for makeup and not also for sunscreen;
3. compare the remaining words with every example question, weighting words by how few entries use them;
4. read the question parts of a message separately, so "can I wear makeup and go to the gym?" gets two
   answers and "my skin is itchy and flaky, can I scratch it?" gets the one that was asked.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.model import Kind, Procedure
from bot.core.text import NEGATIONS, STOPWORDS, stem, tokens

DEFAULT_THRESHOLD = 0.5
"""Below this confidence the matcher abstains and offers suggestions."""

MAX_TOPICS = 3
SUGGESTIONS = 3
_TORN_RATIO = 0.6
_KIND_PRIOR = 1.3
_KEYWORD_WEIGHT = 2.0
_EXAMPLE_WEIGHT = 2.0
_MIN_SUGGESTION_SCORE = 0.6

_LEADING_CUES = frozenset(
    "can could should when how is are do does will would may what why which whats hows".split()
)
_ANYWHERE_CUES = frozenset("ok okay safe allowed alright normal".split())
_CUE_PAIRS = frozenset(
    tuple(pair.split())
    for pair in (
        "can i",
        "could i",
        "should i",
        "may i",
        "is it",
        "am i",
        "do i",
        "how long",
        "how soon",
        "when can",
    )
)
_SUBJECTS = frozenset(
    ["i", "my", "it", "its", "this", "that", "the", "there", "skin", "face", "me", "we", "our"]
)
# Grammar, not wording: how a question is asked says what kind of entry answers it. "When can I ..." asks
# about a restriction or care advice; "is this normal?" asks about a symptom.
_RESTRICTION_CUES = tuple(
    tuple(stem(w) for w in cue.split())
    for cue in (
        "can i", "when can", "how soon", "allowed", "restart", "start again", "go back", "back on",
        "ok to use", "okay to use", "safe to use", "fine to use", "stop using", "keep using", "still use",
        "swap", "can you", "should i use", "should i take", "how long until", "how long till",
        "how long before i can", "how long after",
    )
)  # fmt: skip
_SYMPTOM_CUES = tuple(
    tuple(stem(w) for w in cue.split())
    for cue in (
        "normal", "is this ok", "is that ok", "should i worry", "should i be worried", "worried", "why is my",
        "why does my", "how long will", "how long does", "last", "expect", "supposed to",
    )
)  # fmt: skip
_SEGMENT_SPLIT = re.compile(r"[?!.;\n,]+|\b(?:and|also|plus|but|then)\b|&", re.IGNORECASE)


@dataclass(frozen=True)
class Scored:
    """An entry's score for one piece of text, with the evidence behind it."""

    entry_id: str
    score: float
    keyword: float
    similarity: float
    first_position: int


@dataclass(frozen=True)
class Match:
    """The matcher's decision for one message."""

    entry_id: str | None
    confidence: float
    topics: tuple[str, ...]
    suggestions: tuple[str, ...]

    @property
    def abstained(self) -> bool:
        """True when no entry was confident enough to answer."""
        return self.entry_id is None


@dataclass(frozen=True)
class _Analysis:
    ranked: tuple[Scored, ...]
    confidence: float


class Matcher:
    """A keyword-weighted fuzzy matcher over one procedure's entries."""

    def __init__(self, procedure: Procedure, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.procedure = procedure
        self.threshold = threshold
        self.entry_ids = [entry.id for entry in procedure.entries]
        self.conversational = {e.id for e in procedure.entries if e.kind is Kind.CONVERSATION}
        self.kinds = {e.id: e.kind for e in procedure.entries}
        self._build_vocabulary(procedure)
        self._build_phrases(procedure)
        self._build_examples(procedure)
        self._corrections: dict[str, str] = {}

    # ----------------------------------------------------------------------------------------------- index

    def _build_vocabulary(self, procedure: Procedure) -> None:
        words: set[str] = set()
        for entry in procedure.entries:
            for text in (*entry.examples, *entry.keywords, entry.title, *self._rule_keywords(entry.id)):
                words.update(tokens(text))
        for alias in (*procedure.aliases, procedure.name, procedure.title):
            words.update(tokens(alias))
        self.vocabulary = frozenset(words)
        by_key: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in words:
            if word.isalpha() and len(word) >= 5:
                by_key[(word[0], len(word))].append(word)
        self._spelling_candidates = dict(by_key)
        names = (*procedure.aliases, procedure.name, procedure.title)
        self._alias_stems = sorted(
            {tuple(stem(w) for w in tokens(a)) for a in names} - {()}, key=len, reverse=True
        )
        self._procedure_stem = "_".join(stem(w) for w in tokens(procedure.name)) or procedure.id
        # What the procedure treats ("acne scars") says nothing about which answer is wanted: such phrases
        # are dropped, so that "acne" in "acne scars" does not pull towards breakouts.
        self._neutral_stems = sorted(
            {tuple(stem(w) for w in tokens(t)) for t in procedure.treats} - {()}, key=len, reverse=True
        )

    def _rule_keywords(self, entry_id: str) -> tuple[str, ...]:
        entry = self.procedure.entry(entry_id)
        if entry is None or entry.restriction is None:
            return ()
        return tuple(k for rule in entry.restriction.rules for k in rule.keywords)

    def _build_phrases(self, procedure: Procedure) -> None:
        owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for entry in procedure.entries:
            for keyword in (*entry.keywords, *self._rule_keywords(entry.id)):
                stems = tuple(stem(w) for w in tokens(keyword))
                if stems:
                    owners[stems].add(entry.id)
        self._phrase_owners = {phrase: frozenset(ids) for phrase, ids in owners.items()}
        # "before microneedling" says more than "before": phrases naming the procedure weigh more.
        self._phrase_weight = {
            phrase: (1.0 + 0.6 * (len(phrase) - 1)) * (1.5 if self._procedure_stem in phrase else 1.0)
            for phrase in owners
        }
        self._max_phrase = max((len(p) for p in owners), default=1)

    def _build_examples(self, procedure: Procedure) -> None:
        documents: dict[str, set[str]] = {}
        example_stems: list[tuple[str, frozenset[str]]] = []
        for entry in procedure.entries:
            bag: set[str] = set()
            for text in (*entry.examples, *entry.keywords, entry.title):
                bag.update(self._content(self.stems(text)))
            documents[entry.id] = bag
            for example in entry.examples:
                example_stems.append((entry.id, frozenset(self._content(self.stems(example)))))
        count = len(documents)
        df: dict[str, int] = defaultdict(int)
        for bag in documents.values():
            for word in bag:
                df[word] += 1
        self._idf = {word: math.log((count + 1) / (n + 0.5)) for word, n in df.items()}
        self._unknown_idf = math.log((count + 1) / 0.5)
        self._documents = documents
        self._examples: list[tuple[str, dict[str, float], float]] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        for entry_id, stems in example_stems:
            weights = {w: self._idf[w] for w in stems}
            norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
            index = len(self._examples)
            self._examples.append((entry_id, weights, norm))
            for word in stems:
                self._postings[word].append(index)

    # ------------------------------------------------------------------------------------------- analysis

    def _correct(self, word: str) -> str:
        if word in self.vocabulary or word in STOPWORDS or len(word) < 5 or not word.isalpha():
            return word
        cached = self._corrections.get(word)
        if cached is not None:
            return cached
        cutoff = 88.0 if len(word) <= 6 else (85.0 if len(word) <= 8 else 80.0)
        candidates = [
            w
            for size in range(len(word) - 2, len(word) + 3)
            for w in self._spelling_candidates.get((word[0], size), ())
        ]
        best = (
            process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=cutoff)
            if candidates
            else None
        )
        result = best[0] if best else word
        # Only typos of the knowledge base's own words are remembered: other words patients type are not kept.
        if result != word and len(self._corrections) < 10_000:
            self._corrections[word] = result
        return result

    def _words(self, text: str) -> list[str]:
        words = tokens(text)
        merged: list[str] = []
        index = 0
        while index < len(words):
            pair = words[index] + words[index + 1] if index + 1 < len(words) else ""
            if len(pair) >= 5 and pair in self.vocabulary and words[index] not in STOPWORDS | {"not", "no"}:
                merged.append(pair)  # "make up" -> "makeup", "sun screen" -> "sunscreen"
                index += 2
            else:
                merged.append(self._correct(words[index]))
                index += 1
        return merged

    def stems(self, text: str) -> list[str]:
        """The word stems of `text` after typo correction, as the matcher sees them."""
        return self._canonical_aliases([stem(w) for w in self._words(text)])

    def _content(self, stems: Iterable[str]) -> list[str]:
        return [
            s for s in stems if s not in STOPWORDS and s not in NEGATIONS and not s.isdigit() and len(s) > 1
        ]

    def _canonical_aliases(self, stems: list[str]) -> list[str]:
        """Replace every name of the procedure ("derma pen", "micro needling") with one word, and drop what
        it treats ("acne scars")."""
        result = list(stems)
        present = set(stems)
        for phrases, replacement in ((self._alias_stems, self._procedure_stem), (self._neutral_stems, "")):
            for phrase in phrases:
                if phrase[0] not in present:
                    continue
                size = len(phrase)
                for start in range(len(result) - size + 1):
                    if tuple(result[start : start + size]) == phrase:
                        result[start : start + size] = [replacement] + [""] * (size - 1)
        return [s for s in result if s]

    def score(self, text: str) -> list[Scored]:
        """Every entry with any evidence for `text`, best first."""
        stems = self.stems(text)
        keyword: dict[str, float] = defaultdict(float)
        first: dict[str, int] = {}
        index = 0
        while index < len(stems):
            for size in range(min(self._max_phrase, len(stems) - index), 0, -1):
                owners = self._phrase_owners.get(tuple(stems[index : index + size]))
                if owners and any(s not in STOPWORDS for s in stems[index : index + size]):
                    weight = self._phrase_weight[tuple(stems[index : index + size])] / len(owners)
                    for owner in owners:
                        keyword[owner] += weight
                        first.setdefault(owner, index)
                    index += size
                    break
            else:
                index += 1
        query = set(self._content(stems))
        similarity: dict[str, float] = defaultdict(float)
        if query:
            q_weights = {w: self._idf.get(w, self._unknown_idf) for w in query}
            q_norm = math.sqrt(sum(v * v for v in q_weights.values()))
            dots: dict[int, float] = defaultdict(float)
            for word, weight in q_weights.items():
                for example in self._postings.get(word, ()):
                    dots[example] += weight * self._examples[example][1][word]
            for example, dot in dots.items():
                entry_id, _, norm = self._examples[example]
                similarity[entry_id] = max(similarity[entry_id], dot / (q_norm * norm))
        favoured = _favoured_kinds(stems)
        results = []
        for entry_id in set(keyword) | set(similarity):
            total = _KEYWORD_WEIGHT * keyword[entry_id] + _EXAMPLE_WEIGHT * similarity[entry_id]
            if self.kinds.get(entry_id) in favoured:
                total *= _KIND_PRIOR
            results.append(
                Scored(entry_id, total, keyword[entry_id], similarity[entry_id], first.get(entry_id, 999))
            )
        results.sort(key=lambda s: (-s.score, s.first_position, s.entry_id))
        return results

    def _analyse(self, text: str) -> _Analysis:
        ranked = tuple(self.score(text))
        return _Analysis(ranked, _confidence(ranked))

    # ------------------------------------------------------------------------------------------- decision

    def _confident(self, analysis: _Analysis) -> bool:
        return (
            bool(analysis.ranked) and analysis.ranked[0].keyword > 0 and analysis.confidence >= self.threshold
        )

    def match(self, text: str) -> Match:
        """Decide which entries answer `text`: one, several (a message with several questions), or none."""
        whole = self._analyse(text)
        segment_topics: list[tuple[str, float]] = []
        for segment, context in _question_segments(text):
            analysis = self._analyse(segment)
            if context and not self._confident(analysis):
                # "is that normal?" asks about what was just said: "my skin is peeling on day 4".
                analysis = self._analyse(f"{context} {segment}")
            if self._confident(analysis):
                top = analysis.ranked[0].entry_id
                if top not in (t for t, _ in segment_topics):
                    segment_topics.append((top, analysis.confidence))
        if len(segment_topics) >= 2:
            topics = tuple(t for t, _ in segment_topics[:MAX_TOPICS])
            return Match(topics[0], min(c for _, c in segment_topics[:MAX_TOPICS]), topics, ())
        if len(segment_topics) == 1:
            topic, confidence = segment_topics[0]
            if whole.ranked and whole.ranked[0].entry_id == topic:
                confidence = max(confidence, whole.confidence)
            return Match(topic, confidence, (topic,), ())
        if whole.ranked and whole.confidence >= self.threshold:
            top = whole.ranked[0].entry_id
            return Match(top, whole.confidence, (top,), ())
        torn = _torn_between(whole.ranked)
        if torn is not None:
            return torn
        suggestions = tuple(
            s.entry_id for s in whole.ranked[:SUGGESTIONS] if s.score >= _MIN_SUGGESTION_SCORE
        )
        return Match(None, whole.confidence, (), suggestions)


def _torn_between(ranked: tuple[Scored, ...]) -> Match | None:
    """Two entries, each backed by its own keywords and close in score: answer both rather than neither.

    "can I go sunbathing by the pool?" is about the sun and about pools; a patient is better served by both
    answers than by "did you mean".
    """
    if len(ranked) < 2:
        return None
    first, second = ranked[0], ranked[1]
    if first.keyword <= 0 or second.keyword <= 0 or second.score < _TORN_RATIO * first.score:
        return None
    confidence = (1.0 - math.exp(-(1.2 * first.keyword + 1.5 * first.similarity))) * 0.85
    if confidence < DEFAULT_THRESHOLD:
        return None
    pair = sorted((first, second), key=lambda s: s.first_position)  # in the order the patient asked
    return Match(pair[0].entry_id, round(confidence, 3), (pair[0].entry_id, pair[1].entry_id), ())


def _confidence(ranked: tuple[Scored, ...]) -> float:
    """Map the evidence for the best entry to [0, 1]: keywords and similar examples, discounted by a close
    runner-up."""
    if not ranked:
        return 0.0
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    ratio = runner_up / best.score if best.score > 0 else 1.0
    evidence = 1.0 - math.exp(-(1.2 * best.keyword + 1.5 * best.similarity))
    return round(max(0.0, min(1.0, evidence * (1.0 - 0.5 * ratio * ratio))), 3)


def _question_segments(text: str) -> list[tuple[str, str]]:
    """The parts of a message that ask something, each with the statements said just before it.

    A part asks when it has a question cue or a question mark, or is joined to a part that asks ("can I wear
    makeup and go to the gym"). A single-part message has no segments: the whole message is the question.
    """
    pieces: list[tuple[str, bool]] = []
    start = 0
    for found in _SEGMENT_SPLIT.finditer(text):
        pieces.append((text[start : found.start()], "?" in found.group(0)))
        start = found.end()
    pieces.append((text[start:], False))
    pieces = [(p.strip(), q) for p, q in pieces if p.strip()]
    if len(pieces) < 2:
        return []
    result = []
    context: list[str] = []
    previous_question = False
    for part, ends_with_question_mark in pieces:
        words = tokens(part)
        if not words:
            continue
        pairs = set(itertools.pairwise(words))
        asks = (
            ends_with_question_mark
            or words[0] in _LEADING_CUES
            or bool(_ANYWHERE_CUES & set(words))
            or bool(_CUE_PAIRS & pairs)
        )
        continues = previous_question and words[0] not in _SUBJECTS
        if asks or continues:
            result.append((part, " ".join(context)))
            context = []
        else:
            context.append(part)
        previous_question = asks or continues
    return result


def _contains(stems: list[str], present: set[str], cue: tuple[str, ...]) -> bool:
    if not present.issuperset(cue):
        return False
    size = len(cue)
    return any(tuple(stems[i : i + size]) == cue for i in range(len(stems) - size + 1))


def _favoured_kinds(stems: list[str]) -> frozenset[Kind]:
    """The kinds of entry the phrasing of a question points to (none when it points both ways)."""
    present = set(stems)
    restriction = any(_contains(stems, present, cue) for cue in _RESTRICTION_CUES)
    symptom = any(_contains(stems, present, cue) for cue in _SYMPTOM_CUES)
    if restriction == symptom:
        return frozenset()
    if restriction:
        return frozenset({Kind.RESTRICTION, Kind.ADVICE})
    return frozenset({Kind.SYMPTOM, Kind.RED_FLAG})
