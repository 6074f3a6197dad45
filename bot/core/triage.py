"""The warning-sign screen: runs first on every message and never plays a warning sign down.

It reads a message as a whole story: the words of a sign may stand apart, in any order, within a sentence or
across two ("when I woke up my lips had almost disappeared under the swelling"). It is tolerant of typos,
letters spaced out or held down ("p u s", "puuuss"), spacing and invisible characters, and aware of what is
*not* a warning sign: negation ("no fever, no pus") and questions about signs ("what does an infection look
like?", "should I take an antiviral if I get cold sores?"). When in doubt it escalates.

Before any procedure's signs it looks for a crisis (thoughts of suicide or self-harm, an overdose), with the
phrases of the language file and its exclusions for everyday idioms ("dying to wear makeup").

The words are data: each procedure's signs in its file, the grammar (negations, cues, crisis phrases) in
`language.yaml`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from bot.core.crisis import CrisisScreen, words_of
from bot.core.language import (
    CueSet,
    Language,
    Phrase,
    PhraseSet,
    Reader,
    mark_procedure_nouns,
    procedure_nouns,
)
from bot.core.model import Procedure, Tier, WarningSign
from bot.core.text import join_spelled, squeezed, strip_invisible

MAX_SCREEN_CHARS = 10_000
"""The screen reads every character of a Telegram message (4,096) and more: a sign at the end counts."""
CRISIS_SIGN = "crisis"
"""The sign id reported for the crisis tier."""

_SENTENCE_SPLIT = re.compile(r"[?!.;\n]+")
_DOTTED_LETTERS = re.compile(r"\b(?:[^\W\d_]\.){2,}")
_CLAUSE_PUNCTUATION = r"[,:()\-\u2013\u2014]+"
_NEGATION_LOOKBACK = 3
_WINDOW_SLACK = 3
_STORY_SPAN = 8
"""The words of a sign told apart (a story) may stand this many words apart, within a sentence or across
two sentences, but never across a contrast ("but") or a question about signs."""
_COMPACT_MIN = 8
_COMPACT_KEY = 4  # letters a compact phrase is indexed by (at most _COMPACT_MIN)
_TYPO_CUTOFF = 84


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
    phrases: tuple[Phrase, ...]
    with_any: tuple[Phrase, ...]
    compact: tuple[str, ...]
    story: tuple[Phrase, ...]
    """The phrases that may be told apart: those with at least two words that are not function words."""
    unless: tuple[Phrase, ...]
    firsts: frozenset[str]
    """The first words of the phrases: a clause without any of them cannot hold one (checked in C)."""


@dataclass(frozen=True)
class _Clause:
    words: tuple[str, ...]
    sentence: int
    contrast: bool
    """True when the clause starts with a contrast ("but", "however"): a story does not reach across it."""
    asks: bool
    """True when the clause asks about signs rather than reports one."""
    other: bool = False
    """True when someone else is the clause's subject ("my friend's lips swelled up")."""
    expected: bool = False
    """True when the patient says, in the same sentence, that they were told to expect it."""
    treatment: bool = False
    """True when the clause tells of the treatment itself ("had my lips done this morning")."""
    treated_now: bool = False
    """True when the sentence asks beside the treatment told as now: an emergency sign in it is a report."""


class Screener:
    """Screens messages for one procedure's warning signs, and for a crisis."""

    def __init__(self, procedure: Procedure, language: Language, other_names: Sequence[str] = ()) -> None:
        """`other_names` name the knowledge base's other procedures (as `language.other_procedures` name
        treatments it has no file for)."""
        self.procedure = procedure
        self.language = language
        names = (procedure.name, procedure.title, *procedure.aliases)
        reader = Reader(language, names)
        self._nouns = procedure_nouns(language, procedure.name, names[1:], procedure.kinds)
        self.reader = reader
        vocabulary: set[str] = set()
        plain: set[str] = set()
        function_words = language.stopwords | reader.word_stems(language.stopwords)
        self._function_words = function_words
        patterns = []
        for sign in procedure.signs:
            phrases = reader.phrases(sign.phrases)
            with_any = reader.phrases(sign.with_any)
            for phrase in (*phrases, *with_any):
                vocabulary.update(phrase)
            for text in (*sign.phrases, *sign.with_any):
                plain.update(language.tokens(text, None))
            compact = tuple(c for c in (_compact(p) for p in sign.phrases) if len(c) >= _COMPACT_MIN)
            story = tuple(p for p in phrases if len({w for w in p if w not in function_words}) >= 2)
            firsts = frozenset(p[0] for p in phrases if p)
            unless = reader.phrases(sign.unless)
            patterns.append(_Pattern(sign, phrases, with_any, compact, story, unless, firsts))
        self._patterns = tuple(patterns)
        self._crisis = CrisisScreen(
            language,
            reader,
            plain | {w for t in words_of(procedure) for w in language.tokens(t, None)},
            (p for sign in procedure.signs for p in sign.phrases),
        )
        crisis_words = {reader.stem(w) for w in self._crisis.vocabulary}
        plain.update(self._crisis.vocabulary)
        by_word: dict[str, set[int]] = {}
        for index, pattern in enumerate(patterns):
            for phrase in pattern.phrases:
                if phrase:  # a phrase can only match where its longest word stands
                    by_word.setdefault(max(phrase, key=len), set()).add(index)
        self._by_word = by_word
        # Compact phrases by their first letters: a message is read once, not once per phrase.
        by_start: dict[str, list[tuple[str, int]]] = {}
        for index, pattern in enumerate(patterns):
            for compact_phrase in pattern.compact:
                by_start.setdefault(compact_phrase[:_COMPACT_KEY], []).append((compact_phrase, index))
        self._compact_by_start = by_start
        self._vocabulary = frozenset(vocabulary)
        # One-word phrases a patient may split ("cold sores" for "coldsores"): read as one word, the halves
        # are not signs of their own ("cold" in "cold sores" is not a cold lip).
        self._compounds = frozenset(p[0] for pattern in patterns for p in pattern.phrases if len(p) == 1)
        # The words that can make up a list item ("yellow crust"): no function words, no negations.
        self._item_words = frozenset(vocabulary - function_words - language.negations)
        self._known = frozenset(vocabulary | crisis_words)
        self._plain = frozenset(plain)
        by_shape: dict[tuple[str, int], list[str]] = {}
        for word in sorted(w for w in self._known if len(w) >= 5):
            by_shape.setdefault((word[0], len(word)), []).append(word)
        self._by_shape = by_shape
        self._cache: dict[str, str] = {}
        self._negations = language.negations | reader.word_stems(language.negations)
        self._never = reader.word_stems(w for w in language.negations if w == "never")
        self._coordinators = language.coordinators
        self._list_fillers = language.list_fillers | language.coordinators
        breaks = "|".join(re.escape(b) for b in sorted(language.clause_breaks, key=len, reverse=True))
        self._clause_split = re.compile(
            _CLAUSE_PUNCTUATION + (rf"|\b(?:{breaks})\b" if breaks else ""), re.IGNORECASE
        )
        self._breaks = frozenset(language.clause_breaks)
        self._asks_about = CueSet(reader.cues(language.asks_about))
        self._asks_in_general = CueSet(reader.cues(language.asks_in_general))
        self._personal = reader.word_stems(language.personal) | language.personal
        self._expected = PhraseSet(reader.phrases(language.expected))
        self._reports = PhraseSet(reader.phrases(language.reports))
        self._never_reports = PhraseSet(reader.phrases(language.never_reports))
        self._mild = PhraseSet(reader.phrases(language.mild))
        self._improving = PhraseSet(reader.phrases(language.improving))
        self._continues_asking = PhraseSet(reader.phrases(language.continues_asking))
        self._other_people = reader.word_stems(language.others_people) | language.others_people
        # Another treatment's name of several words, told as where something comes from ("swelling from lip
        # filler"), names that treatment, not a part of the body. Read as written (no typo correction), never
        # after a word of the patient's own ("my lip filler is swelling" is their lip), never inside one of
        # the patient's own names ("non surgical nose job" for filler).
        own = {reader.stems(name) for name in names}
        self._own_names = PhraseSet(own)
        self._other_names = PhraseSet(
            phrase
            for phrase in (reader.stems(n) for n in (*language.other_procedures, *other_names))
            if len(phrase) > 1 and phrase not in own
        )
        self._sources = PhraseSet(reader.phrases(language.other_procedure_before))
        self._course_after = PhraseSet(reader.phrases(language.other_procedure_after))
        self._other_pronouns = reader.word_stems(language.others_pronouns) | language.others_pronouns
        self._owners = language.others_owners
        self._first_person = reader.word_stems(language.first_person) | language.first_person
        self._treatment_words = reader.word_stems(language.treatment_words) | language.treatment_words

    # ------------------------------------------------------------------------------------------- reading

    def _asks_in_general_of_another(self, sentence: str) -> bool:
        """True for a sentence that starts with a question word and says nothing of the patient's own: "how
        long does lip filler swelling last?" (its course words may then follow another treatment's name)."""
        words = self.language.tokens(sentence, None)
        if not words or words[0] not in self.language.general_question_starts:
            return False
        return not any(w in self._personal or self.reader.stem(w) in self._personal for w in words)

    def _without_other_treatments(self, stems: tuple[str, ...], general: bool = False) -> tuple[str, ...]:
        """`stems` without the names of other treatments told as a source ("after lip filler"), or, in a
        general question, as what a course word is about ("how long does lip filler swelling last?")."""
        spans = self._other_names.spans(stems)
        if not spans:
            return stems
        sources = {end for _, end in self._sources.spans(stems)}
        if general:
            sources |= {start for start, end in spans if self._course_after.find(stems[end:]) == 0}
        own = {i for start, end in self._own_names.spans(stems) for i in range(start, end)}
        named = {
            i
            for start, end in spans
            if start in sources
            and stems[start - 1] not in self._first_person
            and own.isdisjoint(range(start, end))
            for i in range(start, end)
        }
        return tuple(s for i, s in enumerate(stems) if i not in named)

    def _canonical(self, word: str) -> str:
        """The stem of a word as the signs spell it: typos and held-down keys corrected."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        result = self.reader.stem(word)
        if result not in self._known and word.isalpha() and word not in self.language.crisis_not_typos:
            for variant in squeezed(word):
                stemmed = self.reader.stem(variant)
                if stemmed in self._known:
                    result = stemmed
                    break
            else:
                near = self._near(result) if len(result) >= 5 else ()
                if near:
                    best = process.extractOne(result, near, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF)
                    result = best[0] if best else result
        # Only typos of the knowledge base's own words are remembered: other words patients type are not kept.
        if result != self.reader.stem(word) and len(self._cache) < 10_000:
            self._cache[word] = result
        return result

    def _near(self, stem: str) -> list[str]:
        """The signs' long words a typo of `stem` could be: same first letter, a similar length (a fuzzy ratio
        of 84 allows no more than that)."""
        return [
            w for size in range(len(stem) - 2, len(stem) + 3) for w in self._by_shape.get((stem[0], size), ())
        ]

    def _clauses(self, text: str) -> list[_Clause]:
        clauses = []
        # A story about someone else goes on into the next sentence: "My friend had filler. Her lips swelled."
        about_other = False
        for number, sentence in enumerate(_SENTENCE_SPLIT.split(text)):
            position = 0
            contrast = False
            asking = False
            general = self._asks_in_general_of_another(sentence)
            for found in [*self._clause_split.finditer(sentence), None]:
                end = found.start() if found is not None else len(sentence)
                words = self.language.tokens(sentence[position:end], None)
                names_it = False
                if self._nouns:
                    # "still pink a month after my peel": the treatment, not peeling
                    words = mark_procedure_nouns(words, self._nouns, self.language, "")
                    names_it = "" in words
                    words = [w for w in words if w]
                if words:
                    words = self._merge_compounds(join_spelled(words, self._plain))
                    stems = self._without_other_treatments(tuple(self._canonical(w) for w in words), general)
                    asking = self._asks_about_signs(stems) or (
                        asking and self._continues_asking.find(stems) == 0 and not self._reports_now(stems)
                    )
                    about_other = self._about_someone_else(stems, about_other)
                    treatment = (
                        names_it
                        or not self._treatment_words.isdisjoint(stems)
                        or self._own_names.find(stems) >= 0
                    )
                    clauses.append(
                        _Clause(
                            stems, number, contrast, asking or about_other, about_other, treatment=treatment
                        )
                    )
                if found is not None:
                    position = found.end()
                    contrast = found.group(0).strip().casefold() in self._breaks
            told = [c for c in clauses if c.sentence == number]
            now = [c for c in told if not c.other and self._reports_beside_cues(c.words)]
            if any(c.asks and not c.other for c in told) and now:
                # Something happening now, told in the same sentence, makes the patient's own words about a
                # sign a report: "I get cold sores, there's one on my lip today". When only the treatment
                # itself was now ("had my lips done this morning, will they balloon?") the question stays a
                # question, except for an emergency ("had filler today, can it cause blurry vision?").
                only_treatment = all(c.treatment for c in now)
                clauses = [
                    c
                    if c.sentence != number or c.other
                    else replace(c, treated_now=True)
                    if only_treatment
                    else replace(c, asks=False)
                    for c in clauses
                ]
        return self._mark_expected(clauses) if self._expected else clauses

    def _mark_expected(self, clauses: list[_Clause]) -> list[_Clause]:
        """Mark the clauses of a sentence part (up to a contrast) in which the patient says they were told to
        expect what they describe: "clear ooze and brown crusts, the clinic told me to expect this"."""
        result = list(clauses)
        groups: list[list[int]] = []
        for index, clause in enumerate(clauses):
            if groups and clause.sentence == clauses[groups[-1][-1]].sentence and not clause.contrast:
                groups[-1].append(index)
            else:
                groups.append([index])
        for group in groups:
            if any(self._expected.find(clauses[i].words) >= 0 for i in group):
                for i in group:
                    c = clauses[i]
                    result[i] = replace(c, expected=True)
        return result

    def _merge_compounds(self, words: list[str]) -> list[str]:
        merged: list[str] = []
        index = 0
        while index < len(words):
            pair = words[index] + words[index + 1] if index + 1 < len(words) else ""
            if pair.isalpha() and self.reader.stem(pair) in self._compounds:
                merged.append(pair)
                index += 2
            else:
                merged.append(words[index])
                index += 1
        return merged

    @property
    def crisis(self) -> CrisisScreen:
        """The crisis screen, with this procedure's words as real words."""
        return self._crisis

    # ------------------------------------------------------------------------------------------- screening

    def screen(self, text: str, day: int | None) -> Screening | None:
        """The most urgent warning sign in `text` for a patient on `day` (None when unknown), or None.

        A crisis comes before everything else and is screened whatever the day. The warning signs are still
        screened beside it: a crisis told with an emergency ("my throat is closing, I hope I don't wake up")
        is the crisis tier, with the signs that fired after `CRISIS_SIGN`, so the reply can give both.
        """
        text = _DOTTED_LETTERS.sub(lambda m: m.group(0).replace(".", " "), text[:MAX_SCREEN_CHARS])
        every_clause = self._clauses(text)
        signs = self._signs(text, day, every_clause)
        if self._crisis.found(text):
            return Screening(Tier.CRISIS, (CRISIS_SIGN, *(signs.signs if signs else ())), None)
        return signs

    def _signs(self, text: str, day: int | None, every_clause: list[_Clause]) -> Screening | None:
        """The procedure's warning signs in `text` (the crisis screen aside)."""
        compact_text = _compact(text)
        present = {word for clause in every_clause for word in clause.words}
        candidates = self._compact_candidates(compact_text)  # words run together ("cantbreathe")
        for word in present:
            candidates |= self._by_word.get(word, set())
        fired: list[tuple[Tier, WarningSign]] = []
        for index in sorted(candidates):
            pattern = self._patterns[index]
            sign = pattern.sign
            if sign.from_day is not None and day is not None and day < sign.from_day:
                continue
            tier = self._fires(pattern, every_clause, compact_text)
            if tier is not None:
                fired.append((tier, sign))
        if not fired:
            return None
        fired.sort(key=lambda item: item[0].rank)
        top_tier = fired[0][0]
        topic = next((s.topic for t, s in fired if t == top_tier and s.topic), None)
        return Screening(top_tier, tuple(s.id for _, s in fired), topic)

    def _compact_candidates(self, compact_text: str) -> set[int]:
        """The signs with a compact phrase somewhere in `compact_text`."""
        found: set[int] = set()
        by_start = self._compact_by_start
        for start in range(len(compact_text) - _COMPACT_MIN + 1):
            for compact_phrase, index in by_start.get(compact_text[start : start + _COMPACT_KEY], ()):
                if index not in found and compact_text.startswith(compact_phrase, start):
                    found.add(index)
        return found

    def _fires(self, pattern: _Pattern, every_clause: list[_Clause], compact_text: str) -> Tier | None:
        sign = pattern.sign
        if sign.tier is not Tier.EMERGENCY:
            # What the clinic said to expect is the normal course; an emergency is never played down.
            every_clause = [c for c in every_clause if not c.expected]
        emergency = sign.tier is Tier.EMERGENCY
        reports = [c for c in every_clause if not c.asks or (emergency and c.treated_now)]
        hits = [
            c
            for c in reports
            if not pattern.firsts.isdisjoint(c.words) and any(self._find(c.words, p) for p in pattern.phrases)
        ]
        told_apart: tuple[str, ...] = ()
        story = self._story(pattern, every_clause)
        # A clause that holds the phrase itself is read as it is; only a phrase told apart is read with the
        # words between its parts.
        story_clause = story[0] if story is not None and not any(c is story[0] for c in hits) else None
        if story is not None:
            hits.append(story[0])
            told_apart = story[1]
        hit = next(
            (
                c
                for c in hits
                # "the bruise went purple and is a bit sore": a bruise changing colour is normal; "the
                # swelling on my lips went down": the normal course, told. A phrase told apart is read
                # with every word between its parts ("bigger than the right ... today").
                if not self._excused(pattern, c.words)
                and not (c is story_clause and self._excused(pattern, told_apart))
                and not self._settling(c.words, pattern)
                and not self._settling_after(c, every_clause)
            ),
            None,
        )
        if hit is None and hits:
            return None
        if hit is not None:
            # The companion word may stand in another clause: "swelling went down, but it came back worse".
            if pattern.with_any and not any(
                self._find(other.words, extra) for other in reports for extra in pattern.with_any
            ):
                return None
            if sign.mild_tier is not None and self._mild.find(hit.words) >= 0:
                return sign.mild_tier
            return sign.tier
        # Words run together ("cantbreathe"): only when no clause held the phrase, negated or not.
        if (
            not pattern.with_any
            and any(c in compact_text for c in pattern.compact)
            and not any(
                self._find(c.words, p, negation_aware=False) for c in every_clause for p in pattern.phrases
            )
        ):
            return sign.tier
        return None

    def _excused(self, pattern: _Pattern, words: tuple[str, ...]) -> bool:
        """True when an `unless` phrase of the sign explains the clause ("the bruise went purple"). An
        `unless` phrase that holds the sign's own words ("stinking cold" for "stinking") only takes those
        words away: the sign still fires on what is left ("stinking cold, and my face smells bad")."""
        found = [u for u in pattern.unless if self._find(words, u, negation_aware=False)]
        if not found:
            return False
        sign_words = {w for phrase in pattern.phrases for w in phrase} - self._function_words
        context = [u for u in found if sign_words.isdisjoint(u)]
        if context:
            return True
        taken = {i for u in found for i in _positions(words, u)}
        left = tuple(w for i, w in enumerate(words) if i not in taken)
        return not any(self._find(left, p) for p in pattern.phrases)

    def _settling(self, words: tuple[str, ...], pattern: _Pattern | Phrase) -> bool:
        """True when the clause says the sign (or a phrase of it) is settling ("went down", "back to normal")
        after naming it, and does not deny that ("it has not gone down")."""
        phrases = pattern.phrases if isinstance(pattern, _Pattern) else (pattern,)
        sign_words = {w for phrase in phrases for w in phrase} - self._function_words
        first = next((i for i, w in enumerate(words) if w in sign_words), None)
        if first is None:
            return False
        # The sign's own words are not its settling: "getting darker instead of fading".
        own = {i for phrase in phrases for i in _positions(words, phrase)}
        # "one patch has gone a dusky grey": a sign named after the words is what it became, not settling.
        return any(
            start > first
            and not own.issuperset(range(start, end))
            and not self._negated(words, start)
            and sign_words.isdisjoint(words[end:])
            for start, end in self._improving.spans(words)
        )

    def _settling_after(self, clause: _Clause, clauses: list[_Clause]) -> bool:
        """True when the next clause of the sentence says nothing but that it is settling: "a few faint red
        lines where the pen went, less than yesterday"."""
        index = next(i for i, c in enumerate(clauses) if c is clause)
        if index + 1 >= len(clauses):
            return False
        after = clauses[index + 1]
        if after.sentence != clause.sentence or after.contrast:
            return False
        covered = {i for start, end in self._improving.spans(after.words) for i in range(start, end)}
        telling = [i for i, w in enumerate(after.words) if w not in self._function_words]
        return (
            bool(covered)
            and covered.issuperset(telling)
            and not any(self._negated(after.words, start) for start, _ in self._improving.spans(after.words))
        )

    def _story(self, pattern: _Pattern, clauses: list[_Clause]) -> tuple[_Clause, tuple[str, ...]] | None:
        """A phrase whose words are told apart: within `_STORY_SPAN` words, in one sentence or across two,
        not across a contrast or a question about signs, none of them negated. Returns the clause of its last
        word and the words from its first to its last."""
        present = {w for clause in clauses for w in clause.words}
        for phrase in pattern.story:
            needed = set(phrase)
            if not needed.issubset(present):
                continue  # most phrases: a word of theirs is nowhere in the message
            for first in range(len(clauses)):
                if clauses[first].asks:
                    continue
                words: list[str] = []
                owners: list[int] = []
                for index in range(first, len(clauses)):
                    clause = clauses[index]
                    if index > first and (
                        clause.asks or clause.contrast or clause.sentence > clauses[first].sentence + 1
                    ):
                        break
                    words.extend(clause.words)
                    owners.extend([index] * len(clause.words))
                    if len(words) > 4 * _STORY_SPAN:
                        break
                if not needed.issubset(words):
                    continue
                found = self._spread(words, owners, clauses, phrase)
                if found is not None:
                    return found
        return None

    def _spread(
        self, words: list[str], owners: list[int], clauses: list[_Clause], phrase: Phrase
    ) -> tuple[_Clause, tuple[str, ...]] | None:
        for start, word in enumerate(words):
            if word not in phrase:
                continue
            # The distance counts the words that say something: "the bleeding from one spot on my chin will
            # not stop" tells one story.
            end, telling = start, 0
            while end < len(words) and telling <= _STORY_SPAN:
                telling += words[end] not in self._function_words
                end += 1
            span = words[start:end]
            if not set(phrase).issubset(span):
                continue
            positions = [start + span.index(part) for part in phrase]
            if not self._negations.isdisjoint(phrase) and positions != sorted(positions):
                # A phrase holding its own negation is told in its order ("will not stop"): "can feel beads
                # in my lip, can't see them" is not "can not feel my lip".
                continue
            # "my tongue and throat are fine, just the face feels tight": a word said to be fine tells no
            # story.
            if any(self._settling(clauses[owners[p]].words, phrase) for p in positions):
                continue
            # A phrase that holds its own negation ("bleeding will not stop") is not denied by it.
            if self._negations.isdisjoint(phrase) and any(
                self._negated_at(words, owners, p) for p in positions
            ):
                continue
            return clauses[owners[max(positions)]], tuple(words[min(positions) : max(positions) + 1])
        return None

    def _negated_at(self, words: list[str], owners: list[int], position: int) -> bool:
        clause_start = owners.index(owners[position])
        return self._negated(words[clause_start : position + 1], position - clause_start)

    def _find(self, words: tuple[str, ...] | list[str], phrase: Phrase, negation_aware: bool = True) -> bool:
        """True when the phrase's words stand close together, in their order, and are not negated ("still
        red", not "red dots everywhere still"; words told apart in another order are a story: `_story`)."""
        # Most phrases of most signs are nowhere in a clause: the scans for their first word run in C.
        if not phrase or phrase[0] not in words:
            return False
        size = len(phrase)
        window = size + (_WINDOW_SLACK if size > 1 else 0)
        start = words.index(phrase[0])
        while True:
            span = words[start : start + window]
            if (
                _in_order(span, phrase)
                and not (negation_aware and self._negated(words, start))
                and not (negation_aware and self._denied_inside(span, phrase))
            ):
                return True
            try:
                start = words.index(phrase[0], start + 1)
            except ValueError:
                return False

    def _denied_inside(self, span: Sequence[str], phrase: Phrase) -> bool:
        """True when a negation stands right before the last word of a phrase that holds none ("itchy no
        rash"); "won't stop", "isn't right" or "not easing" before another word tell more, not less."""
        if len(phrase) < 2 or not self._negations.isdisjoint(phrase):
            return False
        # Only right before the phrase's last word, the sign itself: "doesn't feel right, swollen" is told.
        position = span.index(phrase[0]) + 1
        for part in phrase[1:]:
            position = span.index(part, position) + 1
        return span[position - 2] in self._negations

    def _negated(self, words: tuple[str, ...] | list[str], position: int) -> bool:
        """True when a negation stands just before `position`, or before a list it belongs to.

        "no swelling or fever" and "not seeing any pus or blisters" negate every item of the list; "no fever
        and there is pus" does not negate the pus, because words other than list items stand between.
        """
        while True:
            before = position - 1
            while before >= 0 and words[before] in self._list_fillers:
                before -= 1
            joined = before < position - 1 and any(
                w in self._coordinators for w in words[before + 1 : position]
            )
            if joined and before >= 0 and words[before] in self._item_words:
                while before > 0 and words[before - 1] in self._item_words:
                    before -= 1  # the start of the previous list item, e.g. "yellow crust"
                position = before
                continue
            window = list(words[max(0, position - _NEGATION_LOOKBACK) : position])
            if not self._never.isdisjoint(window) and self._never_reports.find(words) >= 0:
                window = [w for w in window if w not in self._never]
            return any(word in self._negations for word in window)

    def _reports_now(self, clause: tuple[str, ...]) -> bool:
        return self._reports.find(clause) >= 0

    def _reports_beside_cues(self, clause: tuple[str, ...]) -> bool:
        """True when the clause says something is happening now outside a cue of asking ("now and then")."""
        inside = self._asks_about.covered(clause) | self._asks_in_general.covered(clause)
        return any(not inside.issuperset(range(a, b)) for a, b in self._reports.spans(clause))

    def _about_someone_else(self, clause: tuple[str, ...], after_other: bool) -> bool:
        """True when someone else is the subject of the clause ("my friend got an infection after hers", "my
        sister's lips went lumpy"), or carries on a story about them ("..., her lips swelled up"): no word of
        the patient's own but the one that says whose person it is ("my sister"), and nothing said to happen
        now (a parent may write for the patient: "my daughter's lips are swelling now")."""
        people = {i for i, w in enumerate(clause) if w in self._other_people}
        if not people and not (after_other and not self._other_pronouns.isdisjoint(clause)):
            return False
        owners = {i - 1 for i in people if i > 0 and clause[i - 1] in self._owners}
        if any(w in self._first_person for i, w in enumerate(clause) if i not in owners):
            return False
        return not self._reports_now(clause)

    def _asks_about_signs(self, clause: tuple[str, ...]) -> bool:
        """True for a clause that asks about warning signs rather than reporting one: a cue of asking, or of
        asking in general in a clause that says nothing of the patient's own skin, and no cue of something
        happening now outside the cue itself ("I get cold sores now and then" is not "now")."""
        general = self._personal.isdisjoint(clause) and self._asks_in_general.any_in(clause)
        if not general and not self._asks_about.any_in(clause):
            return False
        return not self._reports_beside_cues(clause)


def _positions(words: Sequence[str], phrase: Phrase) -> list[int]:
    """Where the words of `phrase` first stand in order, close together (as `_find` reads them), or none."""
    window = len(phrase) + (_WINDOW_SLACK if len(phrase) > 1 else 0)
    for start, word in enumerate(words):
        if word != phrase[0]:
            continue
        found, position = [start], start + 1
        for part in phrase[1:]:
            try:
                position = words.index(part, position, start + window)
            except ValueError:
                break
            found.append(position)
            position += 1
        else:
            return found
    return []


def _in_order(span: Sequence[str], phrase: Phrase) -> bool:
    """True when the words of `phrase` occur in `span` in their order (other words may stand between)."""
    position = 0
    for part in phrase:
        try:
            position = span.index(part, position) + 1
        except ValueError:
            return False
    return True


def _compact(text: str) -> str:
    text = strip_invisible(unicodedata.normalize("NFKC", text)).casefold()
    return re.sub(r"[^a-z]", "", text)
