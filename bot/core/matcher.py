"""Route a patient's question to the knowledge-base entry that answers it, or abstain.

Real questions share most of their words ("how long after the treatment can I use ...") and differ in one, so
whole-sentence similarity alone is weak. The matcher therefore works on words:

1. normalise, fix typos against the knowledge base's own vocabulary, merge split words ("make up");
2. find keyword phrases, longest first, so "tinted sunscreen" counts for makeup and not also for sunscreen;
3. compare the remaining words with the example questions of the entries that share words with it, weighting
   words by how few entries use them (an index keeps this fast for large knowledge bases);
4. say how much of the question the best entry explains: a keyword alone is not enough when most of the
   question's words point to other entries or to none;
5. read the question parts of a message separately, so "can I wear makeup and go to the gym?" gets two
   answers and "my skin is itchy and flaky, can I scratch it?" gets the one that was asked.

Which words are grammar (stopwords, question cues, "before my appointment") comes from the language file.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.language import (
    Language,
    Phrase,
    PhraseSet,
    Reader,
    contains,
    mark_procedure_nouns,
    procedure_nouns,
)
from bot.core.model import Entry, Kind, Procedure, RestrictionRule
from bot.core.text import squeezed

DEFAULT_THRESHOLD = 0.5
"""Below this confidence the matcher abstains and offers suggestions."""

MAX_TOPICS = 3
SUGGESTIONS = 3
PROCEDURE_TOKEN = "\x00procedure"
"""Every name of the procedure ("derma pen", "micro needling") becomes this one token."""

_TORN_RATIO = 0.6
_TORN_COVERAGE = 0.2
_TIED_RATIO = 0.9
_TORN_OWN = 0.05
"""Of two close entries, one that explains less than this share of the question beyond the other's words
answers nothing the other does not: the other answers alone."""
_KIND_PRIOR = 1.3
_KEYWORD_WEIGHT = 2.0
_EXAMPLE_WEIGHT = 2.0
_MIN_SUGGESTION_SCORE = 0.6
_CANDIDATES = 6
"""How many entries are compared in full: the six with most keyword weight and the six whose examples could be
most like the question (twelve of each answered every set the same, at a third more time for a large base)."""
_COMMON_SHARE = 0.2
_POSTINGS_PER_WORD = 48
"""How many entries each word can bring in as candidates (those it can lift most)."""
_CORRECTIONS_LIMIT = 10_000
_STEMS_CACHE_LIMIT = 64
_COVERAGE_KNEE = 0.5
"""An entry that explains at least this share of a question's content keeps its full confidence; below it,
the confidence falls in proportion (chosen by leave-one-out over the examples: see bot.evaluation)."""
_UNKNOWN_WEIGHT = 0.5
"""Words the knowledge base has never seen count this much of their weight against an entry."""
_RANK_FLOOR = 0.5
"""An entry that explains nothing of the question keeps this share of its score in the ranking."""
_STORY_SHARE = 0.3
"""How much of a story told with a question ("my cheeks went dark ... is this permanent?") the answer to the
question must explain."""
_STORY_LEAD = 1.75
"""How far the story's own entry must outscore a question part's answer in the story to answer instead."""
_NEGATION_LOOKBACK = 3
_LIST_ITEM_WORDS = 3
"""A part this short that starts like a list item ("the sauna") continues the question before it."""
_DENIABLE = (Kind.RED_FLAG, Kind.SYMPTOM)
"""Kinds of entry whose keywords, denied ("no pus"), are not evidence for them."""
_MERGED_DOUBT = 0.5
"""How much doubt a word merged by its stem with another form carries, against 1 for a corrected typo."""
_DOUBT_SLOPE = 0.5
"""How much of the confidence a match resting wholly on doubtful words loses (chosen on the shared development
sets and leave-one-out over the examples, checked on the project's own held-out sets)."""


@dataclass(frozen=True)
class Scored:
    """An entry's score for one piece of text, with the evidence behind it.

    `coverage` is the share of the question's content (weighted by how telling each word is) that this entry
    explains: its keywords and the words of its examples.
    """

    entry_id: str
    score: float
    keyword: float
    similarity: float
    first_position: int
    coverage: float = 1.0
    phrases: frozenset[Phrase] = frozenset()
    """The keyword phrases of this entry found in the text."""
    doubt: float = 0.0
    """The share of what this entry explains that rests on words read with doubt: typos corrected to a word of
    the knowledge base ("sunscrean"), or a form of a word the knowledge base never uses merged by its stem
    with one it does: a match that rests on such words is less sure than its score says."""
    explains: tuple[tuple[str, float], ...] = ()
    """The content words of the question this entry explains, each with its share of the question's content
    (the shares add up to `coverage`): two entries that explain different words answer different parts."""


@dataclass(frozen=True)
class Match:
    """The matcher's decision for one message.

    `before` is set when the message asks about the time before the treatment; `course` when it asks in
    general what the days after are like.
    """

    entry_id: str | None
    confidence: float
    topics: tuple[str, ...]
    suggestions: tuple[str, ...]
    before: bool = False
    course: bool = False

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

    def __init__(
        self,
        procedure: Procedure,
        language: Language,
        threshold: float = DEFAULT_THRESHOLD,
        other_names: Sequence[str] = (),
    ) -> None:
        """`other_names` name the knowledge base's other procedures: a question about one of them is not
        about this one."""
        self.procedure = procedure
        self.language = language
        self.threshold = threshold
        self.reader = Reader(language, (procedure.name, procedure.title, *procedure.aliases))
        self.entry_ids = [entry.id for entry in procedure.entries]
        self.conversational = {e.id for e in procedure.entries if e.kind is Kind.CONVERSATION}
        self.kinds = {e.id: e.kind for e in procedure.entries}
        self._index_of = {entry_id: i for i, entry_id in enumerate(self.entry_ids)}
        self._corrections: dict[str, str] = {}
        self._stems_cache: dict[str, tuple[str, ...]] = {}
        self._negations = language.negations
        self._list_fillers = language.list_fillers | language.coordinators
        # Stopwords are compared as stems too: "does" is "doe" once stemmed.
        self._stopwords = language.stopwords | self.reader.word_stems(language.stopwords)
        self._frame = self.reader.word_stems(language.frame) | {PROCEDURE_TOKEN}
        self._kind_words = self.reader.word_stems(procedure.kinds)
        self._nouns = procedure_nouns(
            language, procedure.name, (procedure.title, *procedure.aliases), procedure.kinds
        )
        # The last word of the procedure's name ("peel" of a "... peel"): it names the procedure in a coming
        # appointment ("my peel is on thursday") and outside another's name, without being one of its names
        # everywhere (its peeling is a topic).
        self._short_name = procedure.name.split()[-1:]
        self._build_vocabulary(procedure)
        self._build_grammar(language)
        self._build_other_procedures(language, other_names)
        self._build_phrases(procedure)
        self._build_examples(procedure)

    # ----------------------------------------------------------------------------------------------- index

    def _build_other_procedures(self, language: Language, other_names: Sequence[str]) -> None:
        reader = self.reader
        names = self._canonical_phrases(reader.phrases([*language.other_procedures, *other_names]))
        # A name this procedure shares ("filler" for the filler bot reads as its own name) is its own.
        self._other_procedures = PhraseSet(p for p in names if PROCEDURE_TOKEN not in p)
        self._other_before = PhraseSet(
            self._canonical_phrases(
                reader.phrases([*language.other_procedure_before, *language.other_procedure_asked_of])
            )
        )
        self._other_after = PhraseSet(self._canonical_phrases(reader.phrases(language.other_procedure_after)))
        self._compare = PhraseSet(self._canonical_phrases(reader.phrases(language.other_procedure_compare)))
        self._timing = PhraseSet(self._canonical_phrases(reader.phrases(language.other_procedure_timing)))
        self._first_person = reader.word_stems(language.first_person) | language.first_person
        self._own_words = frozenset(
            {PROCEDURE_TOKEN, *(s for w in self._short_name for s in reader.stems(w))}
        )

    def _build_grammar(self, language: Language) -> None:
        reader = self.reader
        self._leading = language.leading
        self._anywhere = language.anywhere
        self._pairs = frozenset(tuple(p.split()) for p in (language.normalize(x) for x in language.pairs))
        self._statement_starts = language.statement_starts
        self._refer_back = language.refers_back
        self._points_back_cues = PhraseSet(tuple(language.normalize(p).split()) for p in language.points_back)
        joiners = "|".join(re.escape(j) for j in sorted(language.joiners, key=len, reverse=True))
        self._segment_split = re.compile(
            # An emoji ends a thought as a full stop does ("lost it on the bus 🙃 what should I avoid").
            r"[?!.;\n,\u2600-\u27bf\U0001f300-\U0001faff]+"
            + (rf"|\b(?:{joiners})\b" if joiners else "")
            + "|&",
            re.IGNORECASE,
        )
        self._restriction_cues = PhraseSet(reader.phrases(language.restriction))
        self._symptom_cues = PhraseSet(reader.phrases(language.symptom))
        self._tomorrow = reader.word_stems(language.tomorrow)
        short = self._short_name
        self._before_phrases = self._canonical_phrases(reader.phrases(language.before, also=short))
        self._before = PhraseSet(self._before_phrases)
        self._not_before = PhraseSet(self._canonical_phrases(reader.phrases(language.not_before, also=short)))
        # A question naming the treatment ("can she have it done") is about it, whoever asks.
        self._treatment_words = frozenset({PROCEDURE_TOKEN}) | reader.word_stems(language.treatment_words)
        self._own_appointment = PhraseSet(
            self._canonical_phrases(reader.phrases(language.own_appointment, also=short))
        )
        self._course = PhraseSet(self._canonical_phrases(reader.phrases(language.course)))
        # The words of the preparation answer: what the checklist itself names ("fish oil").
        preparation = self.procedure.entry(language.preparation_topic) if language.preparation_topic else None
        self._preparation_words = frozenset(self.stems(preparation.answer)) if preparation else frozenset()
        # The entries whose own answer speaks about the time before the treatment ("shave the day before
        # your appointment"): for a question about the time before, they follow the checklist or lead it.
        self.speaks_before = frozenset(
            e.id for e in self.procedure.entries if self._before.find(self._plain_stems(e.answer)) >= 0
        )
        # The entries that answer general questions about the days after: those with such an example.
        counts = {
            entry.id: sum(1 for x in entry.examples if self._course.find(self._plain_stems(x)) >= 0)
            for entry in self.procedure.entries
        }
        self._course_entries = tuple(
            sorted((e for e, n in counts.items() if n), key=lambda e: (-counts[e], self.entry_ids.index(e)))
        )

    def _plain_stems(self, text: str) -> list[str]:
        """The stems of the knowledge base's own text (no typo correction)."""
        return self._canonical(list(self.reader.stems(text)))

    def _canonical_phrases(self, phrases: Iterable[Phrase]) -> tuple[Phrase, ...]:
        return tuple(dict.fromkeys(tuple(self._canonical(list(p))) for p in phrases if p))

    def _texts(self, entry: Entry) -> tuple[str, ...]:
        return (*entry.examples, *entry.keywords, entry.title, *self._rule_keywords(entry))

    @staticmethod
    def _rule_keywords(entry: Entry) -> tuple[str, ...]:
        if entry.restriction is None:
            return ()
        return tuple(k for rule in entry.restriction.rules for k in rule.keywords)

    def _build_vocabulary(self, procedure: Procedure) -> None:
        reader = self.reader
        words: set[str] = set()
        for entry in procedure.entries:
            for text in self._texts(entry):
                words.update(reader.tokens(text, None))
        for name in reader.names:
            words.update(reader.tokens(name, None))
        self.vocabulary = frozenset(words)
        # A word whose stem the knowledge base knows is a real word, not a typo: "spots" is not "sports".
        self._vocabulary_stems = frozenset(reader.stem(w) for w in words)
        by_key: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in words:
            if word.isalpha() and len(word) >= 5:
                by_key[(word[0], len(word))].append(word)
        self._spelling_candidates = dict(by_key)
        self._alias_stems = sorted(
            {reader.stems(name) for name in reader.names} - {()}, key=len, reverse=True
        )
        # What the procedure treats ("acne scars") says nothing about which answer is wanted: such phrases
        # are dropped, so that "acne" in "acne scars" does not pull towards breakouts.
        self._neutral_stems = sorted(
            {reader.stems(t) for t in procedure.treats} - {()}, key=len, reverse=True
        )
        self._alias_firsts = frozenset(p[0] for p in self._alias_stems)
        self._neutral_firsts = frozenset(p[0] for p in self._neutral_stems)

    def _build_phrases(self, procedure: Procedure) -> None:
        owners: dict[Phrase, set[str]] = defaultdict(set)
        pronouns = self.language.procedure_pronouns
        for entry in procedure.entries:
            for keyword in (*entry.keywords, *self._rule_keywords(entry)):
                stems = tuple(self.stems(keyword))  # as a question reads: "cold sores" is one word there
                if stems:
                    owners[stems].add(entry.id)
                if len(stems) > 1 and not pronouns.isdisjoint(stems):
                    # "does it work" is also asked as "does the treatment work".
                    named = tuple(PROCEDURE_TOKEN if s in pronouns else s for s in stems)
                    owners[named].add(entry.id)
        self._phrase_owners = {phrase: frozenset(ids) for phrase, ids in owners.items()}
        # Words only signs and symptoms use as keywords ("pus", "fever"), and keywords holding a negation.
        deniable: set[str] = set()
        other: set[str] = set()
        for phrase, ids in owners.items():
            target = deniable if all(self.kinds[i] in _DENIABLE for i in ids) else other
            target.update(phrase)
        self._deniable_words = frozenset(deniable - other - self._stopwords - self._frame)
        self._negated_keywords = PhraseSet(p for p in owners if not self._negations.isdisjoint(p))
        # "before the treatment" says more than "before": phrases naming the procedure weigh more.
        self._phrase_weight = {phrase: self._weight(phrase) for phrase in owners}
        # The longest keyword phrase starting with each word: most words start none, and are passed at once.
        longest: dict[str, int] = {}
        for phrase in owners:
            if phrase:
                longest[phrase[0]] = max(longest.get(phrase[0], 0), len(phrase))
        self._longest_from = longest
        # By the rule's position: a variant or a provider's hold changes the rule's day, not its keywords.
        self._rule_phrases: dict[str, tuple[tuple[Phrase, int], ...]] = {}
        self._main_phrases: dict[str, tuple[Phrase, ...]] = {}
        for entry in procedure.entries:
            if entry.restriction is None:
                continue
            phrases = [
                (tuple(self.stems(k)), number)
                for number, rule in enumerate(entry.restriction.rules)
                for k in rule.keywords
            ]
            self._rule_phrases[entry.id] = tuple(sorted(phrases, key=lambda item: -len(item[0])))
            claimed = {phrase for phrase, _ in self._rule_phrases[entry.id]}
            self._main_phrases[entry.id] = tuple(
                {p for k in entry.keywords if (p := tuple(self.stems(k))) and p not in claimed}
            )

    def _weight(self, phrase: Phrase) -> float:
        """A keyword's weight: longer phrases say more, but only through the words that name something;
        "how many times" is a way of asking, not a subject. Naming the procedure ("before the treatment")
        adds weight."""
        named = sum(1 for w in phrase if w not in self._stopwords and w not in self._frame)
        rest = len(phrase) - named
        weight = 1.0 + 0.6 * (named - 1) + 0.2 * rest if named else 0.4 + 0.2 * (rest - 1)
        return weight * (1.5 if PROCEDURE_TOKEN in phrase else 1.0)

    def _build_examples(self, procedure: Procedure) -> None:
        bags: list[set[str]] = []
        examples: list[tuple[int, frozenset[str]]] = []
        sequences: list[tuple[str, ...]] = []
        for index, entry in enumerate(procedure.entries):
            bag: set[str] = set()
            for text in (*entry.examples, *entry.keywords, entry.title, *self._rule_keywords(entry)):
                bag.update(self._content(self.stems(text)))
            bags.append(bag)
            for example in entry.examples:
                sequence = tuple(self.stems(example))
                sequences.append(sequence)
                examples.append((index, frozenset(self._content(sequence))))
        count = len(bags)
        df: dict[str, int] = defaultdict(int)
        for bag in bags:
            for word in bag:
                df[word] += 1
        self._idf = {word: math.log((count + 1) / (n + 0.5)) for word, n in df.items()}
        self._unknown_idf = math.log((count + 1) / 0.5)
        self._bags = [frozenset(bag) for bag in bags]
        # Words only conversation entries use ("helpful", "thanks") are politeness in a care question: they
        # never count as pointing elsewhere.
        chat = {
            i
            for i, entry in enumerate(procedure.entries)
            if entry.kind is Kind.CONVERSATION and entry.id not in procedure.hand_overs
        }
        self._social = frozenset(w for w in df if all(i in chat for i, bag in enumerate(bags) if w in bag))
        # Per entry, for each word: its examples that use it, with the word's share of the example's norm
        # (an inverted index per entry: comparing a question touches only the examples sharing a word).
        self._entry_index: list[dict[str, list[tuple[int, float]]]] = [{} for _ in bags]
        # For each word, the entries that use it, with an upper bound of what it can add to the cosine of
        # one of the entry's examples: the best candidates are found without comparing every example.
        bounds: dict[str, dict[int, float]] = defaultdict(dict)
        for number, (entry_index, stems) in enumerate(examples):
            weights = {w: self._idf[w] for w in stems}
            norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
            for word, weight in weights.items():
                self._entry_index[entry_index].setdefault(word, []).append((number, weight / norm))
                bound = bounds[word]
                bound[entry_index] = max(bound.get(entry_index, 0.0), weight / norm)
        for index, bag in enumerate(bags):
            for word in bag:
                bounds[word].setdefault(index, 0.0)
        # Only the entries a word can lift most are kept for it: enough to find the best candidates, and the
        # work per word stays bounded however large the knowledge base grows.
        self._entry_postings = {
            w: tuple(heapq.nlargest(_POSTINGS_PER_WORD, b.items(), key=lambda item: item[1]))
            for w, b in bounds.items()
        }
        # Words used by more than this share of the entries do not find candidates (they still count in the
        # comparison of examples).
        self._telling_idf = math.log((count + 1) / (_COMMON_SHARE * count + 0.5))
        example_postings: dict[str, list[int]] = defaultdict(list)
        for number, sequence in enumerate(sequences):
            for word in set(sequence):
                example_postings[word].append(number)
        self._discount_shared_keywords(examples, sequences, example_postings)

    def _discount_shared_keywords(
        self,
        examples: list[tuple[int, frozenset[str]]],
        sequences: list[tuple[str, ...]],
        postings: dict[str, list[int]],
    ) -> None:
        """A keyword that other entries' examples use too tells less: "water" is asked about when drinking
        it and when washing with it. Its weight is scaled by the share of the examples using the phrase that
        belong to its own entries."""
        for phrase, owners in self._phrase_owners.items():
            owner_indexes = {self._index_of[o] for o in owners}
            rarest = min(phrase, key=lambda w: len(postings.get(w, ())))
            found = [n for n in postings.get(rarest, ()) if contains(sequences[n], phrase)]
            own = sum(1 for number in found if examples[number][0] in owner_indexes)
            other = len(found) - own
            self._phrase_weight[phrase] *= math.sqrt((own + 2) / (own + other + 2))

    # ------------------------------------------------------------------------------------------- analysis

    def _correct(self, word: str) -> str:
        if word in self.vocabulary or word in self._stopwords or not word.isalpha():
            return word
        if self.reader.stem(word) in self._vocabulary_stems:
            return word
        cached = self._corrections.get(word)
        if cached is not None:
            return cached
        result = next((w for w in squeezed(word) if w in self.vocabulary), word)
        if result == word and len(word) >= 5:
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
        if result != word and len(self._corrections) < _CORRECTIONS_LIMIT:
            self._corrections[word] = result
        return result

    def _words(self, text: str) -> list[str]:
        words = self.reader.tokens(text)
        merged: list[str] = []
        index = 0
        while index < len(words):
            pair = words[index] + words[index + 1] if index + 1 < len(words) else ""
            if (
                len(pair) >= 5
                # "med spas" reads as the keyword "med spa" ("medspa"): the joined form is known, or its
                # singular when the second word is not a grammar word (stems would join "calm my" into
                # "calm", and "hi its" is not "hiit").
                and (
                    pair in self.vocabulary
                    or (words[index + 1] not in self._stopwords and self._singular_known(pair))
                )
                and words[index] not in self._stopwords
                and words[index] not in self._negations
            ):
                merged.append(pair)  # "make up" -> "makeup", "sun screen" -> "sunscreen"
                index += 2
            else:
                merged.append(self._correct(words[index]))
                index += 1
        return merged

    def _singular_known(self, word: str) -> bool:
        """True when `word` without one of its plural endings is a word of the knowledge base ("medspas")."""
        return any(
            word.endswith(ending) and word[: -len(ending)] in self.vocabulary
            for ending in self.language.plurals
        )

    def _doubts(self, text: str) -> dict[str, float]:
        """The stems of `text` read with doubt, with how much doubt: a typo corrected to a word of the
        knowledge base, or a form the knowledge base never uses that shares a stem with one it does."""
        doubts: dict[str, float] = {}
        for word in self.reader.tokens(text):
            if word in self.vocabulary or word in self._stopwords or not word.isalpha():
                continue
            corrected = self._correct(word)
            if corrected != word:
                doubts[self.reader.stem(corrected)] = 1.0
            else:
                stem = self.reader.stem(word)
                if stem in self._vocabulary_stems:
                    doubts.setdefault(stem, _MERGED_DOUBT)
        return doubts

    def stems(self, text: str) -> list[str]:
        """The word stems of `text` after typo correction, as the matcher sees them (every name of the
        procedure as one token)."""
        cached = self._stems_cache.get(text)
        if cached is None:
            words = self._words(text)
            if self._nouns:
                words = mark_procedure_nouns(
                    words, self._nouns, self.language, PROCEDURE_TOKEN, leave_names=True
                )
            cached = tuple(
                self._canonical([w if w == PROCEDURE_TOKEN else self.reader.stem(w) for w in words])
            )
            if len(self._stems_cache) >= _STEMS_CACHE_LIMIT:
                # Small: only the message being answered is read again (by several rules), and patients'
                # words are not kept.
                self._stems_cache.clear()
            self._stems_cache[text] = cached
        return list(cached)

    def _content(self, stems: Iterable[str]) -> list[str]:
        return [
            s
            for s in stems
            if s not in self._stopwords and s not in self._negations and not s.isdigit() and len(s) > 1
        ]

    def _canonical(self, stems: list[str]) -> list[str]:
        """Replace every name of the procedure ("derma pen", "micro needling") with one token, and drop what
        it treats ("acne scars")."""
        present = set(stems)
        if present.isdisjoint(self._alias_firsts) and present.isdisjoint(self._neutral_firsts):
            return stems
        result = list(stems)
        for phrases, replacement in ((self._alias_stems, PROCEDURE_TOKEN), (self._neutral_stems, "")):
            for phrase in phrases:
                if phrase[0] not in present:
                    continue
                size = len(phrase)
                for start in range(len(result) - size + 1):
                    if tuple(result[start : start + size]) == phrase:
                        result[start : start + size] = [replacement] + [""] * (size - 1)
        return [s for s in result if s]

    def _keywords(
        self, stems: Sequence[str]
    ) -> tuple[dict[int, float], dict[int, int], dict[int, set[Phrase]]]:
        """Keyword weight, first position and the keyword phrases found, per entry index."""
        keyword: dict[int, float] = defaultdict(float)
        first: dict[int, int] = {}
        found: dict[int, set[Phrase]] = defaultdict(set)
        index = 0
        while index < len(stems):
            for size in range(min(self._longest_from.get(stems[index], 0), len(stems) - index), 0, -1):
                phrase, span = self._phrase_at(stems, index, size)
                owners = self._phrase_owners.get(phrase) if phrase else None
                if owners and (len(phrase) > 1 or phrase[0] not in self._stopwords):
                    weight = self._phrase_weight[phrase] / len(owners)
                    for owner in owners:
                        entry = self._index_of[owner]
                        keyword[entry] += weight
                        first.setdefault(entry, index)
                        found[entry].add(phrase)
                    index += span
                    break
            else:
                index += 1
        return keyword, first, found

    def _undenied(self, stems: list[str]) -> list[str]:
        """The question without the signs and symptoms it denies: "no fever, no pus, just a little swelling"
        asks about swelling. A keyword that holds the negation itself ("no peeling") stays."""
        if self._negations.isdisjoint(stems):
            return stems
        kept: set[int] = set()
        for start, end in self._negated_keywords.spans(stems):
            kept.update(range(start, end))
        return [
            s
            for i, s in enumerate(stems)
            if i in kept or s not in self._deniable_words or not self._negated(stems, i)
        ]

    def _negated(self, stems: Sequence[str], position: int) -> bool:
        """True when a negation stands just before `position` ("no fever", "not seeing any pus"), or before
        the list the word belongs to ("no swelling or fever")."""
        before = position - 1
        while before >= 0 and stems[before] in self._list_fillers:
            before -= 1
        # "no swelling or fever": the item before the list's joiner may itself be denied.
        if (
            0 <= before < position - 1
            and stems[before] not in self._negations
            and any(s in self.language.coordinators for s in stems[before + 1 : position])
        ):
            return self._negated(stems, before)
        window = stems[max(0, position - _NEGATION_LOOKBACK) : position]
        return any(s in self._negations for s in window)

    def _phrase_at(self, stems: Sequence[str], index: int, size: int) -> tuple[Phrase, int]:
        """The `size` words from `index` as a known keyword phrase, and how many words it spans: the name of
        the procedure inside a phrase that does not name it is skipped ("how many <treatments> do I need"
        reads "how many do I need")."""
        phrase = tuple(stems[index : index + size])
        if phrase in self._phrase_owners or PROCEDURE_TOKEN not in phrase or stems[index] == PROCEDURE_TOKEN:
            return phrase, size
        words: list[str] = []
        end = index
        while end < len(stems) and len(words) < size:
            if stems[end] != PROCEDURE_TOKEN:
                words.append(stems[end])
            end += 1
        return (tuple(words), end - index) if len(words) == size else ((), size)

    def score(self, text: str) -> list[Scored]:
        """Every entry with any evidence for `text`, best first."""
        return list(self._score(self.stems(text)))

    def _score(self, stems: list[str], doubts: dict[str, float] | None = None) -> tuple[Scored, ...]:
        stems = self._undenied(stems)
        doubts = doubts or {}
        keyword, first, phrases = self._keywords(stems)
        query = set(self._content(stems))
        idf = self._idf
        q_weights = {w: idf.get(w, self._unknown_idf) for w in query}
        # The content an entry should explain: frame and politeness words left out, and words the knowledge
        # base has never seen counting less than words that point to another entry (a chatty question, "to
        # celebrate my newfound radiant skin", is not about something else).
        # A kind of the treatment said as part of its name ("after a jessner peel") names it: not a word the
        # answer must explain (it is still a keyword: "what is a tca peel").
        naming = {a for a, b in itertools.pairwise(stems) if b == PROCEDURE_TOKEN and a in self._kind_words}
        explaining = {
            w: v * (_UNKNOWN_WEIGHT if w not in idf else 1.0)
            for w, v in q_weights.items()
            if w not in self._frame and w not in self._social and w not in naming
        }
        total = sum(explaining.values())
        # Candidates: the entries with a keyword in the question, and those whose examples could be most like
        # it, found through the words that only some entries use (common words cannot tell them apart).
        telling = [w for w in q_weights if w in idf and idf[w] >= self._telling_idf]
        if not telling:
            telling = sorted((w for w in q_weights if w in idf), key=lambda w: -idf[w])[:1]
        reach: dict[int, float] = defaultdict(float)
        for word in telling:
            weight = q_weights[word]
            for entry, bound in self._entry_postings.get(word, ()):
                reach[entry] += weight * bound
        candidates = set(heapq.nlargest(_CANDIDATES, keyword, key=keyword.__getitem__))
        candidates.update(heapq.nlargest(_CANDIDATES, reach, key=reach.__getitem__))
        similarity: dict[int, float] = {}
        if q_weights:
            q_norm = math.sqrt(sum(v * v for v in q_weights.values()))
            for entry in candidates:
                index = self._entry_index[entry]
                dots: dict[int, float] = {}
                for word, weight in q_weights.items():
                    for number, value in index.get(word, ()):
                        dots[number] = dots.get(number, 0.0) + weight * value
                if dots:
                    similarity[entry] = max(dots.values()) / q_norm
        favoured = self._favoured_kinds(stems)
        results = []
        for entry in candidates & (set(keyword) | set(similarity)):
            entry_id = self.entry_ids[entry]
            kw = keyword.get(entry, 0.0)
            sim = similarity.get(entry, 0.0)
            value = _KEYWORD_WEIGHT * kw + _EXAMPLE_WEIGHT * sim
            if self.kinds[entry_id] in favoured:
                value *= _KIND_PRIOR
            bag = self._bags[entry]
            own = {w: v for w, v in explaining.items() if w in bag}
            explained = sum(own.values())
            coverage = explained / total if total > 0 else 1.0
            doubted = sum(v * doubts.get(w, 0.0) for w, v in own.items())
            doubt = doubted / explained if explained > 0 else 0.0
            # An entry that explains little of the question ranks lower: "when your gym session calls" is
            # about the gym, not about calling the clinic.
            value *= _RANK_FLOOR + (1.0 - _RANK_FLOOR) * min(1.0, coverage / _COVERAGE_KNEE)
            results.append(
                Scored(
                    entry_id,
                    value,
                    kw,
                    sim,
                    first.get(entry, 999),
                    round(coverage, 3),
                    frozenset(phrases.get(entry, ())),
                    round(doubt, 3),
                    tuple((w, v / total) for w, v in own.items()),
                )
            )
        results.sort(key=lambda s: (-s.score, s.first_position, s.entry_id))
        return tuple(results)

    def _analyse(self, text: str, memo: dict[tuple[str, ...], tuple[Scored, ...]]) -> _Analysis:
        """The ranking of `text` with its confidence; `memo` keeps the rankings already made for this message
        (its last question part read with what comes before is often the whole message)."""
        stems = tuple(self.stems(text))
        ranked = memo.get(stems)
        if ranked is None:
            ranked = memo[stems] = self._score(list(stems), self._doubts(text))
        return _Analysis(ranked, _confidence(ranked))

    # ------------------------------------------------------------------------------------------- decision

    def _confident(self, analysis: _Analysis) -> bool:
        return (
            bool(analysis.ranked) and analysis.ranked[0].keyword > 0 and analysis.confidence >= self.threshold
        )

    def match(self, text: str) -> Match:
        """Decide which entries answer `text`: one, several (a message with several questions), or none."""
        stems = self.stems(text)
        if self._about_someone_else(text):
            # "my daughter got sunburnt, what should she put on it": not the patient's aftercare.
            found = self._decide(text, stems)
            if found.entry_id in self.procedure.hand_overs:
                return found  # a gift card for my mum is still a question for the clinic
            suggestions = found.suggestions or found.topics
            return Match(None, min(found.confidence, self.threshold / 2), (), suggestions[:SUGGESTIONS])
        before = self._asks_before(stems)
        found = self._decide(text, stems)
        if found.entry_id is not None and self._about_another_procedure(stems, found.entry_id):
            # "how long does swelling last after a rhinoplasty?": not this aftercare.
            suggestions = found.suggestions or found.topics
            return Match(None, min(found.confidence, self.threshold / 2), (), suggestions[:SUGGESTIONS])
        if not before and self._course.find(stems) >= 0:
            course = self._course_match(found, text)
            if course is not None:
                return course
        if before and (
            found.entry_id not in self.procedure.hand_overs
            or self.subject(text, exclude=found.entry_id) not in (None, *self.conversational)
        ):
            # Moving or booking the appointment is for the clinic, however it names the appointment; with
            # something else to prepare ("stopped tretinoin late, reschedule?"), it is preparation.
            return self._before_match(text, found)
        return found

    def _only_the_appointment(self, stems: list[str]) -> bool:
        """True when the question names the patient's own coming appointment and says nothing else that
        counts (its other words are grammar, frame or words of when)."""
        spans = self._own_appointment.spans(stems)
        if not spans:
            return False
        timing = {i for start, end in (*spans, *self._before.spans(stems)) for i in range(start, end)}
        told = [s for i, s in enumerate(stems) if i not in timing]
        return all(s in self._frame for s in self._content(told))

    def _before_match(self, text: str, found: Match) -> Match:
        """A question about the time before the treatment: the preparation entry, led by the entry the
        question names when that entry's own answer speaks about the time before ("shave the day before")."""
        preparation = self.language.preparation_topic
        if preparation is None or preparation not in self._index_of:
            return Match(found.entry_id, found.confidence, found.topics, found.suggestions, before=True)
        subject = self.subject(text, exclude=preparation)
        if subject not in self.speaks_before:
            topics: tuple[str, ...] = (preparation,)
        elif self._claims_the_time_before(text, subject) and not (
            self._own_appointment.find(self.stems(text)) >= 0 or self._prepared_for(text, subject)
        ):
            topics = (subject, preparation)  # "do you have to shave before the treatment?"
        else:
            # Getting ready for one's own appointment ("before my treatment tomorrow"), asking about what the
            # checklist itself names ("stop fish oil before?"), or about something the named entry does not
            # itself tie to the time before ("arnica before, to stop bruising?"): the preparation checklist
            # first, then what the named entry says about the time before.
            topics = (preparation, subject)
        # As sure as the question's own words make the entry it names, or the preparation entry itself: "can I
        # bring my little one to the appointment" says when, but nothing the preparation answer is about.
        ranked = self._score(self.stems(text), self._doubts(text))
        own = next((s for s in ranked if s.entry_id == preparation), None)
        confidence = max(found.confidence, _evidence(own) if own else 0.0)
        if subject is None and self._only_the_appointment(self.stems(text)):
            # "getting it done tomorrow, anything I should do tonight?": the patient's own appointment and
            # nothing else ("can I bring my dog to my appointment" asks about the dog).
            confidence = max(confidence, self.threshold)
        if confidence < self.threshold:
            return Match(None, round(confidence, 3), (), topics[:SUGGESTIONS], before=True)
        return Match(topics[0], round(confidence, 3), topics, (), before=True)

    def _segment_topics(
        self, segment: str, context: str, memo: dict[tuple[str, ...], tuple[Scored, ...]]
    ) -> list[tuple[str, float]]:
        """The topics one question part asks about, read with the statements before it when it needs them."""
        alone = self._analyse(segment, memo)
        analysis = alone
        if context:
            story = self._analyse(f"{context} {segment}", memo)
            if self._confident(alone):
                # The answer to a question part must still explain a fair share of the story told with it:
                # "I'm still nursing, can I book?" is about nursing, not about booking.
                top = alone.ranked[0].entry_id
                share = next((s.coverage for s in story.ranked if s.entry_id == top), 0.0)
                if share < _STORY_SHARE and not (
                    self._asks_outright(segment) and not self._story_names_another(story, top)
                ):
                    if self._refers_back(segment):
                        return []  # "is this permanent?" about dark patches is not about results
                    analysis = story
                elif self._points_back(segment) and alone.ranked[0].entry_id in self.procedure.hand_overs:
                    # "dentist booked next week, should I cancel it?": moving the clinic's own booking is for
                    # the team, but what is moved here is what the story names, when it names something.
                    told = self._analyse(context, memo)
                    if self._confident(told) and told.ranked[0].entry_id not in self.procedure.hand_overs:
                        analysis = told
                elif self._points_back(segment) and self._story_leads(alone, story):
                    # "I didn't peel at all, did it even work?": the story names what is asked about.
                    analysis = story
            else:
                # "is that normal?" asks about what was just said: "my skin is peeling on day 4".
                analysis = story
        if self._confident(analysis):
            return [(analysis.ranked[0].entry_id, analysis.confidence)]
        torn = _torn_between(analysis.ranked, self.threshold)
        if torn is None:
            return []
        topics = list(torn.topics)
        if self._confident(alone) and alone.ranked[0].entry_id in topics:
            # Torn by the story told with it, the answer to what was asked still leads: "day 4 and flaky,
            # can I use my scrub yet?" is first about the scrub.
            topics.sort(key=lambda t: t != alone.ranked[0].entry_id)
        return [(t, torn.confidence) for t in topics]

    def _asks_outright(self, segment: str) -> bool:
        """True for a question part that starts with a question word and does not point back ("will a few
        proseccos mess up my skin?", not "how long is this going to go on for?" nor "looked normal")."""
        words = self.reader.tokens(segment)
        return bool(words) and words[0] in self._leading and not self._refers_back(segment)

    def _story_names_another(self, story: _Analysis, top: str) -> bool:
        """True when the story told with a question part names another entry by its keywords at least as
        strongly as the part's own answer ("I'm still nursing, can I book?"); a story that names nothing
        ("hen do tonight, will a few proseccos mess up my skin?") leaves the part's answer standing."""
        own = next((s for s in story.ranked if s.entry_id == top), None)
        other = next((s for s in story.ranked if s.entry_id != top and s.keyword > 0), None)
        return other is not None and (own is None or other.score >= own.score)

    def _story_leads(self, alone: _Analysis, story: _Analysis) -> bool:
        """True when the story told with a question part is confidently about another entry, one the part
        alone has no keyword of, and that entry outscores the part's own answer by far in the story."""
        if not self._confident(story) or story.ranked[0].entry_id == alone.ranked[0].entry_id:
            return False
        lead = story.ranked[0]
        if any(s.entry_id == lead.entry_id and s.keyword > 0 for s in alone.ranked):
            return False
        own = next((s.score for s in story.ranked if s.entry_id == alone.ranked[0].entry_id), 0.0)
        return lead.score >= _STORY_LEAD * own

    def _course_match(self, found: Match, text: str) -> Match | None:
        """A general question about the days after ("what will I look like afterwards?"): the entry that
        answers such questions, unless the part of the message that asks it names something more specific
        ("what to expect from the peeling"). Another part's own question is answered after it ("..., can I
        hide it with makeup?")."""
        if not self._course_entries:
            return None
        parts = [p for p in self._segment_split.split(text) if p and p.strip()]
        asking = [p for p in parts if self._course.find(self.stems(p)) >= 0]
        stems = self.stems(" ".join(asking)) if asking else self.stems(text)
        scored = self._score(stems)
        named = {s.entry_id for s in scored if s.keyword > 0}
        if (
            found.entry_id is not None
            and found.entry_id not in self._course_entries
            and found.entry_id in named
        ):
            return None
        ranked = [s.entry_id for s in scored if s.entry_id in self._course_entries]
        chosen = found.entry_id if found.entry_id in self._course_entries else None
        chosen = chosen or (ranked[0] if ranked else self._course_entries[0])
        # The other parts' answers, when the parts were told apart: what the course part asked comes first.
        others = [t for t in found.topics if t != chosen and t not in self._course_entries] if asking else []
        topics = (chosen, *others)[:MAX_TOPICS]
        return Match(chosen, max(found.confidence, self.threshold), topics, (), course=True)

    def _decide(self, text: str, stems: list[str]) -> Match:
        ranked = self._score(stems, self._doubts(text))
        memo = {tuple(stems): ranked}
        whole = _Analysis(ranked, _confidence(ranked))
        segment_topics: list[tuple[str, float]] = []
        for segment, context in self._question_segments(text):
            for topic, confidence in self._segment_topics(segment, context, memo):
                if topic not in (t for t, _ in segment_topics):
                    segment_topics.append((topic, confidence))
        if len(segment_topics) >= 2:
            topics = tuple(t for t, _ in segment_topics[:MAX_TOPICS])
            return Match(topics[0], min(c for _, c in segment_topics[:MAX_TOPICS]), topics, ())
        if len(segment_topics) == 1:
            topic, confidence = segment_topics[0]
            if whole.ranked and whole.ranked[0].entry_id == topic:
                confidence = max(confidence, whole.confidence)
            return Match(topic, confidence, (topic,), ())
        # Two entries all but tied, each with keywords of its own, are both asked about ("how many peels do
        # I need to see results"): answer both, in the order they were asked, even when one looks confident.
        tied = _torn_between(whole.ranked, self.threshold, _TIED_RATIO)
        if tied is not None:
            return tied
        if whole.ranked and whole.confidence >= self.threshold:
            top = whole.ranked[0].entry_id
            return Match(top, whole.confidence, (top,), ())
        torn = _torn_between(whole.ranked, self.threshold)
        if torn is not None:
            return torn
        suggestions = tuple(
            s.entry_id for s in whole.ranked[:SUGGESTIONS] if s.score >= _MIN_SUGGESTION_SCORE
        )
        return Match(None, whole.confidence, (), suggestions)

    # ------------------------------------------------------------------------------------------- grammar

    def _about_someone_else(self, text: str) -> bool:
        """True when the question is about another person ("my daughter", "my friend") and the patient is not
        in it otherwise (no "I", "me", "my skin")."""
        words = self.reader.tokens(text)
        others = self.language.someone_else
        people = [i for i, w in enumerate(words) if w in others and i > 0 and words[i - 1] in ("my", "our")]
        if not people:
            return False
        owned = {i - 1 for i in people}
        return not any(
            w in self.language.first_person for i, w in enumerate(words) if i not in owned
        ) and self._treatment_words.isdisjoint(self.stems(text))

    def _about_another_procedure(self, stems: Sequence[str], entry_id: str) -> bool:
        """True when the question compares the treatment with another, or its subject is another treatment
        ("after a rhinoplasty", "phenol peel recovery", "does botox help"), it does not name the patient's
        own, and it is not about the wait between the two, or the chosen entry does not speak of that
        treatment itself (`other_treatments` knows "botox": "how long after botox can I have it?")."""
        spans = self._other_procedures.spans(stems)
        if not spans:
            return False
        if self._compare.find(stems) >= 0:
            return True  # "this or a CO2 laser, which is better?": a choice for the clinic
        inside = {i for start, end in spans for i in range(start, end)}
        if any(s in self._own_words for i, s in enumerate(stems) if i not in inside):
            return False
        ends = {end for _, end in self._other_before.spans(stems)}
        after = self._other_after.spans(stems)
        starts = {start for start, _ in after}
        subject = {i for start, end in spans if start in ends or end in starts for i in range(start, end)}
        if not subject:
            return False
        timing = self._timing.spans(stems)
        told_of = {i for start, end in timing for i in range(start, end)}
        # Its course: a word of it right after the name ("botox day 4"), or anywhere in a question that says
        # nothing of the patient ("how long does swelling from lip filler last?"); not the wait between the
        # two ("can botox be done the same day?", "I still have some swelling, is botox ok in 2 weeks?").
        impersonal = self._first_person.isdisjoint(stems)
        if any(end in starts for _, end in spans) or (
            impersonal and any(start not in told_of for start, _ in after)
        ):
            return True
        if not timing and self.kinds[entry_id] is Kind.RESTRICTION:
            # What it does ("can botox help with migraines?"), not the wait a restriction is about.
            return True
        _, _, found = self._keywords(stems)
        claimed = {w for phrase in found.get(self._index_of[entry_id], ()) for w in phrase}
        return claimed.isdisjoint(stems[i] for i in subject)

    def _refers_back(self, segment: str) -> bool:
        return not self._refer_back.isdisjoint(self.reader.tokens(segment))

    def _points_back(self, segment: str) -> bool:
        """True when a question part may stand for what the story before it names ("did it even work?")."""
        words = self.reader.tokens(segment)
        return not self._refer_back.isdisjoint(words) or bool(self._points_back_cues.spans(words))

    def _asks_before(self, stems: Sequence[str]) -> bool:
        """True when the question is about the time before the treatment ("can I shave before my
        appointment?"), not about waiting afterwards ("how long before I can shave?")."""
        return self._before.find(stems) >= 0 and self._not_before.find(stems) < 0

    def _claims_the_time_before(self, text: str, subject: str) -> bool:
        """True when a keyword of `subject` found in the question holds a word of its time-before phrase
        ("shave before" in "do you have to shave before the treatment?")."""
        stems = self.stems(text)
        before_words = {w for start, end in self._before.spans(stems) for w in stems[start:end]}
        _, _, found = self._keywords(stems)
        claimed = {w for phrase in found.get(self._index_of[subject], ()) for w in phrase}
        return bool((claimed & before_words) - self._stopwords - {PROCEDURE_TOKEN})

    def _prepared_for(self, text: str, subject: str) -> bool:
        """True when the preparation answer itself names every word by which the question names `subject`
        ("fish oil" in "stop fish oil before?"), so the checklist answers it; "shave" it may not name."""
        _, _, found = self._keywords_outside_before(text)
        words = {w for phrase in found.get(self._index_of[subject], ()) for w in phrase} - self._stopwords
        return bool(words) and words <= self._preparation_words

    def _keywords_outside_before(
        self, text: str
    ) -> tuple[dict[int, float], dict[int, int], dict[int, set[Phrase]]]:
        """The keywords of `text` without the words that say when ("before my appointment")."""
        stems = self.stems(text)
        masked = list(stems)
        for start, end in self._before.spans(stems):
            masked[start:end] = [""] * (end - start)
        return self._keywords([s for s in masked if s])

    def says_nothing(self, keyword: str) -> bool:
        """True when a keyword, once read, is nothing or one stopword: it can never count as evidence
        ("actually do" reads "do"; a phrase of several words, "even out", counts)."""
        stems = self.stems(keyword)
        return not stems or (len(stems) == 1 and stems[0] in self._stopwords)

    def subject(self, text: str, exclude: str) -> str | None:
        """The entry a question names by its keywords, other than `exclude` and the words that say when
        ("can I take ibuprofen before my appointment?" names medication)."""
        keyword, first, _ = self._keywords_outside_before(text)
        named = [
            (-weight, first[entry], self.entry_ids[entry])
            for entry, weight in keyword.items()
            if self.entry_ids[entry] != exclude and self.entry_ids[entry] not in self.conversational
        ]
        return min(named)[2] if named else None

    def asks_about_tomorrow(self, stems: Iterable[str]) -> bool:
        """True when the question mentions tomorrow."""
        return not self._tomorrow.isdisjoint(stems)

    def rule_for(self, entry: Entry, stems: Sequence[str]) -> RestrictionRule | None:
        """The restriction rule a question is about: a specific product's rule when named, else the main.
        When the question names several ("sun cream and a sunbed"), or the main subject apart from a product
        ("sunbathe with factor 50 on"), the strictest of them answers: a yes to half of a question must never
        allow the other half."""
        if entry.restriction is None:
            return None
        rules = entry.restriction.rules
        main = entry.restriction.main
        rest = list(stems)
        named: list[RestrictionRule] = []
        for phrase, number in self._rule_phrases.get(entry.id, ()):  # longest first: "mineral makeup"
            if number < len(rules) and contains(rest, phrase):
                named.append(rules[number])
                rest = _without(rest, phrase)
        if not named:
            return main
        if any(contains(rest, own) for own in self._main_phrases.get(entry.id, ())):
            named.append(main)
        return max(named, key=lambda rule: rule.resume_day)  # the first named wins a tie

    def _question_segments(self, text: str) -> list[tuple[str, str]]:
        """The parts of a message that ask something, each with the statements said just before it.

        A part asks when it has a question cue or a question mark, or is joined to a part that asks ("can I
        wear makeup and go to the gym"). A single-part message has no segments: the whole message is the
        question.
        """
        pieces: list[tuple[str, bool, bool]] = []
        start = 0
        joined = False  # the piece follows a joining word ("and"), not a mark
        for found in self._segment_split.finditer(text):
            pieces.append((text[start : found.start()], "?" in found.group(0), joined))
            joined = found.group(0).strip().isalpha()
            start = found.end()
        pieces.append((text[start:], False, joined))
        pieces = [(p.strip(), q, j) for p, q, j in pieces if p.strip()]
        if len(pieces) < 2:
            return []
        result: list[tuple[str, str]] = []
        context: list[str] = []
        previous_question = False
        for part, ends_with_question_mark, after_joiner in pieces:
            words = self.reader.tokens(part)
            if not words:
                continue
            pairs = set(itertools.pairwise(words))
            asks = (
                ends_with_question_mark
                or words[0] in self._leading
                or not self._anywhere.isdisjoint(words)
                or not self._pairs.isdisjoint(pairs)
            )
            # "... and the sauna": a short item added to the question, not a new statement.
            added = words[0] in self.language.list_starts and len(words) <= _LIST_ITEM_WORDS
            continues = previous_question and (words[0] not in self._statement_starts or added)
            if (
                after_joiner
                and continues
                and not asks
                and not added
                and len(words) <= _LIST_ITEM_WORDS
                and result
            ):
                # "... if I wear a cap and spf 50": a bare detail of the question before, read with it.
                last, told = result[-1]
                result[-1] = (f"{last} {part}", told)
                continue
            if asks or continues:
                result.append((part, " ".join(context)))
                context = []
            else:
                context.append(part)
            previous_question = asks or continues
        return result

    def _favoured_kinds(self, stems: Sequence[str]) -> frozenset[Kind]:
        """The kinds of entry the phrasing of a question points to (none when it points both ways)."""
        restriction = self._restriction_cues.find(stems) >= 0
        symptom = self._symptom_cues.find(stems) >= 0
        if restriction == symptom:
            return frozenset()
        if restriction:
            return frozenset({Kind.RESTRICTION, Kind.ADVICE})
        return frozenset({Kind.SYMPTOM, Kind.RED_FLAG})


def _torn_between(ranked: tuple[Scored, ...], threshold: float, ratio: float = _TORN_RATIO) -> Match | None:
    """Two entries, each backed by keywords of its own and close in score: answer both rather than neither.

    "can I go sunbathing by the pool?" is about the sun and about pools; a patient is better served by both
    answers than by "did you mean". When one of the two explains no word of the question the other does not
    explain, the question is one, and the entry that explains it all answers alone. The two are answered in
    the order the patient named them: on the development sets and over the examples, the entry named first
    was the one asked about far more often than the better-scoring one.
    """
    if len(ranked) < 2:
        return None
    first, second = ranked[0], ranked[1]
    if first.keyword <= 0 or second.keyword <= 0 or second.score < ratio * first.score:
        return None
    if min(first.coverage, second.coverage) < _TORN_COVERAGE:
        return None  # each must explain a part of the question
    if not (first.phrases - second.phrases) or not (second.phrases - first.phrases):
        return None  # one word that both entries own ("ice") is a question to ask, not two questions
    mine, theirs = dict(first.explains), dict(second.explains)
    shared = sum(min(v, theirs[w]) for w, v in mine.items() if w in theirs)
    evidence = 1.0 - math.exp(-(1.2 * first.keyword + 1.5 * first.similarity))
    # Neither doubt about the words read nor how much of the question the two explain together made this
    # confidence more honest on the development sets (the latter cost right answers for no fewer wrong).
    confidence = evidence * 0.85
    if confidence < threshold:
        return None
    own = {first.entry_id: first.coverage - shared, second.entry_id: second.coverage - shared}
    pair = sorted((first, second), key=lambda s: s.first_position)  # in the order the patient asked
    if max(own.values()) >= _TORN_OWN > min(own.values()):
        # "should I drink electrolytes": drinking is water's and alcohol's, electrolytes only water's.
        lead = max(pair, key=lambda s: own[s.entry_id]).entry_id
        return Match(lead, round(confidence, 3), (lead,), ())
    return Match(pair[0].entry_id, round(confidence, 3), (pair[0].entry_id, pair[1].entry_id), ())


def _confidence(ranked: tuple[Scored, ...]) -> float:
    """Map the evidence for the best entry to [0, 1]: keywords and similar examples, discounted by a close
    runner-up and by how little of the question the entry explains."""
    if not ranked:
        return 0.0
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    ratio = runner_up / best.score if best.score > 0 else 1.0
    return round(max(0.0, min(1.0, _evidence(best) * (1.0 - 0.5 * ratio * ratio))), 3)


def _evidence(scored: Scored) -> float:
    """The evidence for one entry, in [0, 1]: its keywords and similar examples, discounted by how little of
    the question it explains and by doubt about the words it rests on."""
    evidence = 1.0 - math.exp(-(1.2 * scored.keyword + 1.5 * scored.similarity))
    explained = min(1.0, scored.coverage / _COVERAGE_KNEE)
    return evidence * explained * (1.0 - _DOUBT_SLOPE * scored.doubt)


def _without(words: Sequence[str], phrase: Phrase) -> list[str]:
    """`words` with every run of `phrase` taken out (a gap left where it was, so no new run forms)."""
    size = len(phrase)
    result: list[str] = []
    i = 0
    while i < len(words):
        if tuple(words[i : i + size]) == phrase:
            result.append("")
            i += size
        else:
            result.append(words[i])
            i += 1
    return result
