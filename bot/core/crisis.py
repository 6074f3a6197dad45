"""The crisis screen: thoughts of suicide or self-harm, an overdose, read before any warning sign.

People in distress type fast and badly, so the screen reads a message its own way before looking for the
phrases of `language.yaml` (`crisis`):

- text-speak and split words as the words they stand for (`spellings`: "kms", "wanna", "my self");
- typos of the crisis words themselves ("suicdal", "kil myself", "ovredose"), but never a real word that is
  one letter away (`not_typos`: "overdone" is not "overdose");
- filler words a phrase is read with or without (`ignored`: "if I JUST wasn't here");
- a large number as an amount (`count_from`, `count_as`: "took 30 paracetamol").

Then a crisis is a `phrases` entry in one sentence or clause (idioms and other people are read in that
sentence or clause only: "Had a fight with my boyfriend. Want to die."), said of the patient (not of someone
else or a job: `others`, "my cousin overdosed", "a suicide hotline"); an `injuries` entry in a sentence that
tells no accident (`accidents`: "hurt myself at the gym"); or a crisis told in parts (`together`): one phrase
of each group in one sentence or in two sentences in a row, and none of the cue's `unless` there; or a `weak`
phrase (a plan, a time: "I have a plan", "tonight's the night") whose sentence says nothing of aftercare
(`aftercare`: "I have a plan for my skincare"; nor a word of the procedure's signs: "when will the peeling
end"; a weak phrase is read within one clause), when a second weak cue backs it or nothing in the message is
about aftercare. A crisis told indirectly, in words no list holds, is read from kinds of sign outside
aftercare: a concrete sign (`signals`: a means at hand, affairs put in order, an act meant, leaving) with a
second sign of another kind (`mild_signals`: self-hatred, a farewell, feeling calm ...), a weak or a
supporting phrase in its sentence or the next ("bought a rope today. feel calm now"). A phrase inside an
everyday idiom (`exclusions`: "dying to wear makeup") never counts, and a sentence with such an idiom is not
read for a crisis told in parts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from rapidfuzz.distance import OSA

from bot.core.language import PROCEDURE_PLACEHOLDER, Language, Phrase, PhraseSet, Reader
from bot.core.text import join_spelled, squeezed

_SENTENCE_SPLIT = re.compile(r"[?!;\n]+|\.+(?!\d)")  # "at 10.30" is one sentence
_NOT_AN_AMOUNT = re.compile(r"[$\u00a3\u20ac]\s*\d[\d,.]*|\d+\s*/\s*10\b")
_CLAUSE_SPLIT = re.compile(r"[,:()\u2013\u2014]+|\s-+\s")
_FIRST_PERSON = frozenset({"i", "me", "my", "myself", "mine"})
_NOUN_LIKE = 2
"""A crisis phrase of at most this many words, none of them first person ("suicide", "self harm"), may name a
job, a service or other people by the word after it ("suicide hotline"); a longer phrase or one said of
oneself ("kill myself", "want to die") never does."""
_DOUBLED = re.compile(r"(.)\1+")
_SHORTEST_TYPO = 4
"""Shorter words are read as typos only when a doubled letter was typed once ("kil" for "kill")."""
_LONG_TYPO = 7
"""Words this long may have two slips ("suicidle"); shorter ones one."""

Sentence = tuple[str, ...]


class CrisisScreen:
    """Finds a crisis in a message, with the words of one language read for one procedure."""

    def __init__(
        self,
        language: Language,
        reader: Reader,
        other_words: Iterable[str] = (),
        aftercare: Iterable[str] = (),
    ) -> None:
        """`other_words`: plain words the knowledge base uses; never read as a typo of a crisis word.
        `aftercare`: the procedure's own words (its signs' phrases) that, beside `crisis.aftercare`,
        make a weak phrase's sentence about aftercare ("when will the peeling end"); those that share a word
        with a crisis phrase are left out."""
        self.language = language
        self.reader = reader
        self._spellings: dict[Phrase, tuple[str, ...]] = {}
        for written, meant in language.crisis_spellings.items():
            key = tuple(language.tokens(written, None))
            if key:
                self._spellings[key] = tuple(language.tokens(meant, None))
        self._longest_spelling = max((len(k) for k in self._spellings), default=0)
        self._ignored = language.crisis_ignored
        # A contrast starts a clause too: "the peel was lovely but I've decided this is my last week".
        breaks = "|".join(re.escape(b) for b in sorted(language.clause_breaks, key=len, reverse=True))
        self._clause_split = re.compile(
            _CLAUSE_SPLIT.pattern + (rf"|\b(?:{breaks})\b" if breaks else ""), re.IGNORECASE
        )
        self._phrases = PhraseSet(self._read(language.crisis))
        self._injuries = PhraseSet(self._read(language.crisis_injuries))
        self._accidents = PhraseSet(self._read(language.crisis_accidents))
        self._others_before = PhraseSet(self._read(language.crisis_others_before))
        self._others_after = PhraseSet(self._read(language.crisis_others_after))
        self._weak = PhraseSet(self._read(language.crisis_weak))
        self._supporting = PhraseSet(self._read(language.crisis_supporting))
        self._signals = tuple(
            (kind, PhraseSet(self._read(phrases))) for kind, phrases in language.crisis_signals.items()
        )
        self._mild_signals = tuple(
            (kind, PhraseSet(self._read(phrases))) for kind, phrases in language.crisis_mild_signals.items()
        )
        crisis_words = {
            w
            for text in (
                *language.crisis,
                *language.crisis_weak,
                *language.crisis_injuries,
                *(t for cue in language.crisis_together for g in cue.groups for t in g),
            )
            for w in language.tokens(text, None)
        } - language.stopwords
        own = [
            t
            for t in aftercare
            if (words := set(language.tokens(t, None)) - language.stopwords) and not words & crisis_words
        ]
        self._aftercare = PhraseSet(self._read((*language.crisis_aftercare, *own)))
        self._exclusions = PhraseSet(self._read(language.crisis_exclusions))
        self._together = tuple(
            (
                tuple(PhraseSet(self._read(g)) for g in cue.groups),
                PhraseSet(self._read(cue.unless)),
                cue.weak,
            )
            for cue in language.crisis_together
        )
        texts: list[str] = [
            *language.crisis,
            *language.crisis_injuries,
            *language.crisis_weak,
            *language.crisis_exclusions,
            *language.crisis_spellings.values(),
            *(t for cue in language.crisis_together for g in cue.groups for t in g),
        ]
        vocabulary = {w for text in texts for w in language.tokens(text, None) if w.isalpha()}
        self._vocabulary = frozenset(vocabulary)
        self._spelled_words = frozenset(w for key in self._spellings for w in key)
        self._real = (
            frozenset(language.crisis_not_typos)
            | frozenset(other_words)
            | frozenset(w for text in words_of(language) for w in language.tokens(text, None))
        )
        by_squeeze: dict[str, list[str]] = {}
        by_first: dict[str, list[str]] = {}
        for word in sorted(vocabulary):
            by_squeeze.setdefault(_DOUBLED.sub(r"\1", word), []).append(word)
            if len(word) >= _SHORTEST_TYPO:
                by_first.setdefault(word[0], []).append(word)
        self._by_squeeze = {k: v[0] for k, v in by_squeeze.items() if len(v) == 1}
        self._by_first = by_first
        self._cache: dict[str, str] = {}
        self._first_person = frozenset(reader.stem(w) for w in _FIRST_PERSON)
        self._between = frozenset(reader.stem(w) for w in language.crisis_others_between)
        self._owners = reader.word_stems(language.others_owners) | language.others_owners

    def _read(self, cues: Iterable[str]) -> tuple[Phrase, ...]:
        """Cues as the screen reads messages: spellings read, ignored words left out, then stemmed."""
        texts = []
        for cue in cues:
            if PROCEDURE_PLACEHOLDER in cue:
                texts.append(cue)
            else:
                words = self._spelt(self.language.tokens(cue, None))
                texts.append(" ".join(w for w in words if w not in self._ignored))
        return self.reader.phrases(texts)

    @property
    def vocabulary(self) -> frozenset[str]:
        """The plain words of every crisis phrase, idiom and spelling."""
        return self._vocabulary

    # ------------------------------------------------------------------------------------------- reading

    def sentences(self, text: str) -> list[Sentence]:
        """The sentences of `text` as the crisis screen reads them: stems, spellings and typos read."""
        return [tuple(w for c in clauses for w in c) for clauses in self._parts(text)]

    def _parts(self, text: str) -> list[list[Sentence]]:
        """The sentences of `text`, each as its clauses (split at commas, colons, dashes)."""
        result = []
        for part in _SENTENCE_SPLIT.split(text):
            clauses = [c for c in (self._clause(c) for c in self._clause_split.split(part)) if c]
            if clauses:
                result.append(clauses)
        return result

    def _clause(self, text: str) -> Sentence:
        # A price ("$400") or a score ("8/10") is never an amount taken.
        text = _NOT_AN_AMOUNT.sub(" ", text)
        words = self._counted_days(join_spelled(self.language.tokens(text, None), self._vocabulary))
        words = self._spelt([self.word(w) for w in words])
        return tuple(self.reader.stem(w) for w in words if w not in self._ignored)

    def _counted_days(self, words: list[str]) -> list[str]:
        """A day counted ("today is day 6", "it's day two") is a count, not "the day" of a plan, nor an
        amount ("day 14, took paracetamol"): the day word and its number are dropped."""
        counted = self.language.crisis_counted
        numbers = self.language.crisis_numbers
        dropped: set[int] = set()
        for i, w in enumerate(words[:-1]):
            following = words[i + 1]
            # "today is the day 2 do it" is still "the day" (a word read without, like "the", before it).
            if (
                w in counted
                and (i == 0 or words[i - 1] not in self._ignored)
                and (following.isdecimal() or following in numbers)
            ):
                dropped.update((i, i + 1))
        return [w for i, w in enumerate(words) if i not in dropped]

    def word(self, word: str) -> str:
        """`word`, or the crisis word it is a typo of (never a real word: `not_typos`, the knowledge base's
        words)."""
        if (
            word in self._vocabulary
            or word in self._real
            or word in self._spelled_words
            or not word.isalpha()
        ):
            return word
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        result = self._typo_of(word)
        if len(self._cache) < 10_000:
            self._cache[word] = result
        return result

    def _typo_of(self, word: str) -> str:
        for variant in squeezed(word):
            if variant in self._vocabulary:
                return variant
        single = self._by_squeeze.get(_DOUBLED.sub(r"\1", word))
        if single is not None and len(word) >= 3:
            return single  # "kil", "pils"
        if len(word) < _SHORTEST_TYPO:
            return word
        slips = 2 if len(word) >= _LONG_TYPO else 1
        best, best_distance = word, slips + 1
        for known in self._by_first.get(word[0], ()):
            if abs(len(known) - len(word)) > slips:
                continue
            if len(word) < 5 and sorted(known) != sorted(word):
                continue  # a four-letter word: only two letters swapped ("lfie")
            distance = OSA.distance(word, known, score_cutoff=slips)
            if (
                distance <= slips
                and distance < best_distance
                and not (slips == 2 and len(known) < _LONG_TYPO)
            ):
                best, best_distance = known, distance
        return best

    def _spelt(self, words: list[str]) -> list[str]:
        """Text-speak and split words replaced by what they stand for ("kms", "my self")."""
        if not self._spellings:
            return words
        result: list[str] = []
        index = 0
        while index < len(words):
            for size in range(min(self._longest_spelling, len(words) - index), 0, -1):
                meant = self._spellings.get(tuple(words[index : index + size]))
                if meant is not None:
                    result.extend(meant)
                    index += size
                    break
            else:
                result.extend(self._count(words, index))
                index += 1
        return result

    def _count(self, words: list[str], index: int) -> list[str]:
        """The word at `index`, or the words of an amount when it is a large number that is not a time, a
        score or a unit by the words around it ("took 30" is an amount; "at 10", "20 minutes ago" are not)."""
        word = words[index]
        limit = self.language.crisis_count_from
        if limit is None or not word.isdecimal() or len(word) >= 7 or int(word) < limit:
            return [word]
        after = words[index + 1] if index + 1 < len(words) else ""
        amount = self.language.tokens(self.language.crisis_count_as, None) or [word]
        if after in self.language.crisis_count_things:
            # "30 tablets", "25 of my ...": an amount, whatever stands before it ("im 30 tablets in").
            return amount if word not in self.language.crisis_count_doses else [word]
        # "at 10.30", "day 14", "out of 10": a time, a day or a score; "400 ibuprofen" a dose.
        before = words[index - 1] if index > 0 else ""
        if before in self.language.crisis_count_unless_before or before.isdecimal():
            return [word]
        if after in self.language.crisis_count_unless_after or word in self.language.crisis_count_doses:
            return [word]
        return amount

    # ------------------------------------------------------------------------------------------- screening

    def found(self, text: str) -> bool:
        """True when `text` tells of a crisis."""
        parts = self._parts(text)
        sentences = [tuple(w for c in clauses for w in c) for clauses in parts]
        clauses = [c for p in parts for c in p]
        # Each sentence and each clause on its own: an idiom or someone else in one sentence says nothing
        # of the next ("Had a fight with my boyfriend. Want to die."), nor across a comma ("I want to die,
        # my face is so red").
        if any(self._said(self._phrases, s) for s in (*clauses, *sentences)):
            return True
        # "hurt myself at the gym": an injury told with an accident is not a crisis.
        if any(
            not self._told_plainly(self._accidents, s) and self._said(self._injuries, s) for s in sentences
        ):
            return True
        weak_by = [self._weak_count(p) for p in parts]
        supporting_by = [self._weak_count(p, self._supporting) for p in parts]
        if self._signs_meet(parts, weak_by, supporting_by):
            return True
        weak = sum(weak_by)
        supporting = sum(supporting_by)
        clear = [not self._told_plainly(self._exclusions, s) for s in sentences]
        # Where each clause starts: someone named in one clause is not the subject of the next ("I need
        # someone, the pills are lined up").
        starts = [_clause_starts(p) for p in parts]
        for index, sentence in enumerate(sentences):
            if not clear[index]:
                continue
            # A cue told across two sentences is never taken as someone else's: who did what is unsure
            # ("my mum has a whole box of co-codamol. took it all tonight").
            spans: list[tuple[Sentence, set[int] | None]] = [(sentence, starts[index])]
            if index + 1 < len(sentences) and clear[index + 1]:
                spans.append((sentence + sentences[index + 1], None))
            for groups, unless, weak_cue in self._together:
                told = [
                    s
                    for s, boundaries in spans
                    if all(g.spans(s) for g in groups)
                    and not self._told_plainly(unless, s)
                    and not (boundaries is not None and self._of_another(s, groups, boundaries))
                ]
                if told and not weak_cue:
                    return True
                if any(not self._aftercare.spans(s) for s in told):
                    weak += 1
        if weak and weak + supporting >= 2:
            return True
        if weak == 0:
            return False
        return not any(self._aftercare.spans(s) for s in sentences)

    def _told_plainly(self, phrases: PhraseSet, words: Sequence[str]) -> bool:
        """True when one of `phrases` is in `words` without a negation just before it ("not from shaving"
        denies the accident)."""
        negations = self.language.negations
        return any(negations.isdisjoint(words[max(0, a - 2) : a]) for a, _ in phrases.spans(words))

    def _said(self, phrases: PhraseSet, words: Sequence[str]) -> bool:
        """True when one of `phrases` is said of the patient: not inside an everyday idiom (`exclusions`),
        not with someone else as its subject ("my cousin overdosed") and not naming a job, a service or
        other people ("a suicide hotline", "suicidal patients"; only a short phrase not said of oneself)."""
        excluded = _covered(self._exclusions, words)
        others_end = self._subjects(words)
        others_start = {start for start, _ in self._others_after.spans(words)}
        return any(
            not excluded.intersection(range(a, b))
            and self._of_patient(words, a, b, others_end)
            and not (b in others_start and self._noun_like(words[a:b]))
            for a, b in phrases.spans(words)
        )

    def _of_patient(self, words: Sequence[str], start: int, end: int, others_end: set[int]) -> bool:
        """True when the phrase at `start:end` is the patient's: in their own words ("my sister will find my
        note") or with no one else as its subject."""
        return bool(self._first_person.intersection(words[start:end])) or not self._told_of_another(
            words, start, others_end
        )

    def _subjects(self, words: Sequence[str]) -> set[int]:
        """Where someone else named in `words` ends, when they may be a subject: not after a word that makes
        them an object ("a row with my boyfriend", "at my mum's")."""
        objects = self.language.crisis_others_objects
        ends = set()
        for start, end in self._others_before.spans(words):
            before = start - 1
            if before >= 0 and words[before] in self._owners:
                before -= 1
            if before >= 0 and words[before] in objects:
                continue
            ends.add(end)
        return ends

    def _told_of_another(self, words: Sequence[str], start: int, others_end: set[int]) -> bool:
        """True when someone else is the subject of what starts at `start`: named just before it, or with
        only words of the act itself between (`others.between`: "my sister took way too many painkillers");
        a verb of their own between ("my boyfriend left, want to die") leaves it the patient's."""
        between = self._between
        return any(end <= start and all(w in between for w in words[end:start]) for end in others_end)

    def _of_another(self, words: Sequence[str], groups: Sequence[PhraseSet], boundaries: set[int]) -> bool:
        """True when a cue told in parts has someone else as its subject ("my sister took a whole box"),
        named in the same clause as its first part."""
        first = min(start for g in groups for start, _ in g.spans(words))
        last = max(end for g in groups for _, end in g.spans(words))
        others = {end for end in self._subjects(words) if not any(end <= b <= first for b in boundaries)}
        # "the kids are at their dad's, took all my sertraline": the patient's own pills.
        own = any(w in self._first_person for w in words[min(others, default=first) : last])
        return not own and self._told_of_another(words, first, others)

    def _noun_like(self, phrase: Sequence[str]) -> bool:
        return len(phrase) <= _NOUN_LIKE and not self._first_person.intersection(phrase)

    def _signs_meet(
        self, parts: Sequence[Sequence[Sentence]], weak_by: Sequence[int], supporting_by: Sequence[int]
    ) -> bool:
        """True when a concrete sign (`signals`: "bought a rope") has a second sign of another kind, a weak or
        a supporting phrase in its sentence or the next ("... feel calm now"): a crisis told indirectly."""
        concrete_by = [self._signal_kinds(p, self._signals) for p in parts]
        if not any(concrete_by):
            return False
        mild_by = [self._signal_kinds(p, self._mild_signals) for p in parts]
        for index, concrete in enumerate(concrete_by):
            if not concrete:
                continue
            near = slice(max(0, index - 1), index + 2)
            kinds = set().union(*concrete_by[near], *mild_by[near])
            if len(kinds) + sum(weak_by[near]) + sum(supporting_by[near]) >= 2:
                return True
        return False

    def _signal_kinds(
        self, clauses: Sequence[Sentence], signals: Sequence[tuple[str, PhraseSet]]
    ) -> set[str]:
        """The kinds of sign of `signals` said of the patient in the clauses of a sentence that say nothing of
        aftercare, outside everyday idioms and the sentence's weak phrases (which count on their own), and not
        denied just before ("no dark thoughts")."""
        negations = self.language.negations
        kinds: set[str] = set()
        for clause in clauses:
            if self._aftercare.spans(clause):
                continue
            taken = _covered(self._exclusions, clause) | _covered(self._weak, clause)
            others_end = self._subjects(clause)
            for kind, phrases in signals:
                for a, b in phrases.spans(clause):
                    if (
                        not taken.intersection(range(a, b))
                        and negations.isdisjoint(clause[max(0, a - 2) : a])
                        and self._of_patient(clause, a, b, others_end)
                    ):
                        kinds.add(kind)
                        taken.update(range(a, b))  # the same words are one sign, not two kinds
                        break
        return kinds

    def _weak_count(self, clauses: Sequence[Sentence], phrases: PhraseSet | None = None) -> int:
        """The weak phrases said in the clauses of a sentence that say nothing of aftercare; a weak phrase is
        read within one clause ("when will it end, it's been three days" is no "end it"; "don't book my
        review, I won't be around by then": the second clause is not about the review)."""
        count = 0
        for clause in clauses:
            if self._aftercare.spans(clause):
                continue
            excluded = _covered(self._exclusions, clause)
            counted: set[int] = set()  # overlapping phrases ("will not be here", "not be here tomorrow"): one
            for a, b in sorted((phrases or self._weak).spans(clause)):
                if not excluded.intersection(range(a, b)) and not counted.intersection(range(a, b)):
                    count += 1
                    counted.update(range(a, b))
        return count


def words_of(data: object) -> Iterator[str]:
    """Every text in `data` (a knowledge base object: dataclasses, lists, mappings of texts): its words are
    real words, never read as typos of a crisis word."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, Mapping):
        for key, value in data.items():
            yield from words_of(key)
            yield from words_of(value)
    elif isinstance(data, (tuple, list, set, frozenset)):
        for item in data:
            yield from words_of(item)
    elif dataclasses.is_dataclass(data) and not isinstance(data, type):
        for item in dataclasses.fields(data):
            yield from words_of(getattr(data, item.name))


def _clause_starts(clauses: Sequence[Sentence]) -> set[int]:
    """The positions in a sentence (its clauses joined) where a clause after the first starts."""
    starts: set[int] = set()
    position = 0
    for clause in clauses[:-1]:
        position += len(clause)
        starts.add(position)
    return starts


def _covered(phrases: PhraseSet, words: Sequence[str]) -> set[int]:
    covered: set[int] = set()
    for start, end in phrases.spans(words):
        covered.update(range(start, end))
    return covered
