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
class CrisisCue:
    """A crisis told in parts: one phrase of every group in a sentence, and none of `unless` in it. A `weak`
    cue counts as a `Language.crisis_weak` phrase does."""

    groups: tuple[tuple[str, ...], ...]
    unless: tuple[str, ...] = ()
    weak: bool = False


@dataclass(frozen=True)
class Language:
    """Every word list that reads patients' messages (see `knowledge/language.yaml` for what each means)."""

    stopwords: frozenset[str] = frozenset()
    hedges: frozenset[str] = frozenset()
    """Words that only colour a sentence ("what will I ACTUALLY look like"): dropped when reading."""
    frame: frozenset[str] = frozenset()
    negations: frozenset[str] = frozenset()
    contractions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    stemming: Stemming = field(default_factory=Stemming)
    plurals: tuple[str, ...] = ()
    leading: frozenset[str] = frozenset()
    anywhere: frozenset[str] = frozenset()
    pairs: tuple[str, ...] = ()
    statement_starts: frozenset[str] = frozenset()
    list_starts: frozenset[str] = frozenset()
    someone_else: frozenset[str] = frozenset()
    """People a question may be about instead of the patient ("my daughter got sunburnt")."""
    first_person: frozenset[str] = frozenset()
    treatment_words: frozenset[str] = frozenset()
    """Words that name the treatment whoever has it ("can she have it DONE"): such a question is answered."""
    """Words that keep the patient in the question ("my boyfriend wants to kiss ME")."""
    """Words that start a short item added to a question ("can I go to the gym and THE sauna?"), although
    they are statement starts."""
    refers_back: frozenset[str] = frozenset()
    points_back: tuple[str, ...] = ()
    procedure_pronouns: frozenset[str] = frozenset()
    determiners: frozenset[str] = frozenset()
    """Words before a noun ("my peel", "after a peel"): the last word of a procedure's name after one of them
    names the procedure, although the word alone may be a topic ("will I peel")."""
    joiners: tuple[str, ...] = ()
    restriction: tuple[str, ...] = ()
    symptom: tuple[str, ...] = ()
    tomorrow: tuple[str, ...] = ()
    preparation_topic: str | None = None
    before: tuple[str, ...] = ()
    not_before: tuple[str, ...] = ()
    own_appointment: tuple[str, ...] = ()
    """Cues of the patient's own coming appointment ("before my appointment", "tomorrow"): the preparation
    answer leads."""
    course: tuple[str, ...] = ()
    other_procedures: tuple[str, ...] = ()
    """Treatments that are not the patient's ("rhinoplasty", "botox")."""
    other_procedure_before: tuple[str, ...] = ()
    """Words just before another treatment that make it the question's subject ("after a rhinoplasty")."""
    other_procedure_asked_of: tuple[str, ...] = ()
    """Question words just before another treatment that make it the subject ("does botox help")."""
    other_procedure_after: tuple[str, ...] = ()
    """Words just after another treatment that make it the question's subject ("phenol peel recovery")."""
    other_procedure_compare: tuple[str, ...] = ()
    """Words that compare treatments ("vs", "better than"): with another one named, not this aftercare."""
    other_procedure_timing: tuple[str, ...] = ()
    """Words of a question about the wait between two treatments ("how long after", "weeks")."""
    clause_breaks: tuple[str, ...] = ()
    coordinators: frozenset[str] = frozenset()
    list_fillers: frozenset[str] = frozenset()
    asks_about: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    never_reports: tuple[str, ...] = ()
    mild: tuple[str, ...] = ()
    improving: tuple[str, ...] = ()
    asks_in_general: tuple[str, ...] = ()
    """Cues of a question about signs in general ("are blisters normal after a peel?", "how common is it"):
    they count only in a clause without a word of `personal`."""
    personal: frozenset[str] = frozenset()
    expected: tuple[str, ...] = ()
    """Cues that the patient was told to expect what they describe ("the clinic told me to expect this")."""
    continues_asking: tuple[str, ...] = ()
    """A clause starting with one of these continues the question before it ("what would a reaction look
    like, like hives?")."""
    general_question_starts: frozenset[str] = frozenset()
    """Words that start a question asked in general ("how long does lip filler swelling last?")."""
    others_people: frozenset[str] = frozenset()
    """Someone else as the subject of a sign ("my friend got an infection after hers")."""
    others_pronouns: frozenset[str] = frozenset()
    """Words that carry a story about someone else on into the next clause ("her lips swelled up")."""
    others_owners: frozenset[str] = frozenset()
    """First-person words that only say whose person it is ("my sister")."""
    crisis: tuple[str, ...] = ()
    crisis_injuries: tuple[str, ...] = ()
    """Injuries to oneself that are a crisis unless their sentence tells an accident ("hurt myself at the
    gym": `crisis_accidents`)."""
    crisis_accidents: tuple[str, ...] = ()
    crisis_others_before: tuple[str, ...] = ()
    """Just before a crisis phrase, someone else is its subject ("my cousin overdosed")."""
    crisis_others_after: tuple[str, ...] = ()
    """Just after a crisis word, a job, a service or other people ("suicide hotline", "suicidal patients")."""
    crisis_weak: tuple[str, ...] = ()
    """Phrases that say a crisis unless the message is about aftercare ("I have a plan"; not "I have a plan
    for my skincare"): a crisis when no `crisis_aftercare` phrase is near, or with a second weak cue."""
    crisis_supporting: tuple[str, ...] = ()
    """Phrases too everyday to say a crisis alone ("I'm done", "that's why"): they count only beside a weak
    phrase or another of them."""
    crisis_signals: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Concrete signs of a crisis told indirectly, by kind (a means at hand, affairs put in order, an act
    meant, leaving): one with a second sign of another kind nearby, outside aftercare, is a crisis."""
    crisis_mild_signals: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Feelings and farewells, by kind (self-hatred, a thank-you, feeling calm): too everyday to say a crisis
    even together; each counts only beside a concrete sign of `crisis_signals`."""
    crisis_together: tuple[CrisisCue, ...] = ()
    """Crises told in parts: every group of a cue has one of its phrases in one sentence ("took a whole
    packet" with "pills"), in any order."""
    crisis_aftercare: tuple[str, ...] = ()
    """Words of aftercare that make a `crisis_weak` phrase in their sentence something else."""
    crisis_exclusions: tuple[str, ...] = ()
    crisis_spellings: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Text-speak and split words read as the words they stand for, by the crisis screen only ("kms")."""
    crisis_ignored: frozenset[str] = frozenset()
    """Words a crisis phrase is read with or without ("if I JUST wasn't here")."""
    crisis_not_typos: frozenset[str] = frozenset()
    """Real words a letter away from a crisis word: never read as its typo ("overdone" is not "overdose")."""
    crisis_count_from: int | None = None
    crisis_count_doses: frozenset[str] = frozenset()
    """Numbers that are doses in milligrams, not amounts ("400 ibuprofen")."""
    crisis_count_things: frozenset[str] = frozenset()
    """Words after a number that make it an amount taken, whatever stands before it ("30 tablets")."""
    crisis_counted: frozenset[str] = frozenset()
    crisis_numbers: frozenset[str] = frozenset()
    """A word of `crisis_counted` before a number or a word of `crisis_numbers` is a count ("day 6")."""
    crisis_others_objects: frozenset[str] = frozenset()
    """Words before someone else that make them an object, not a subject ("a row WITH my boyfriend")."""
    crisis_others_between: frozenset[str] = frozenset()
    """Words that may stand between someone else and a crisis phrase they are the subject of ("took")."""
    crisis_count_as: str = ""
    """A number of at least `crisis_count_from` is read as these words ("took 30 paracetamol")."""
    crisis_count_unless_before: frozenset[str] = frozenset()
    crisis_count_unless_after: frozenset[str] = frozenset()
    """Words just before or after a number that make it a time, a score or a unit, not an amount ("at 10",
    "20 minutes ago")."""

    def normalize(self, text: str, limit: int | None = MAX_INPUT_CHARS) -> str:
        """`text` as lower-case words with contractions expanded (see `bot.core.text.normalize`)."""
        return normalize(text, self.contractions, limit)

    def tokens(self, text: str, limit: int | None = MAX_INPUT_CHARS) -> list[str]:
        """The words of `text`, normalised, without the hedges that only colour it."""
        words = self.normalize(text, limit).split()
        return [w for w in words if w not in self.hedges] if self.hedges else words

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
    _TOKEN_CACHE_LIMIT = 64

    def __init__(self, language: Language, names: Sequence[str]) -> None:
        self.language = language
        self.names = tuple(dict.fromkeys(n for n in names if n.strip()))
        single = {n for n in (language.normalize(x, None) for x in self.names) if n and " " not in n}
        self._names = frozenset(single)
        self._name_stems = frozenset(language.stem(n) for n in single)
        self._plural_names = frozenset(n + p for n in single for p in language.plurals)
        self._cache: dict[str, str] = {}
        self._token_cache: dict[tuple[str, int | None], tuple[str, ...]] = {}

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
        """The words of `text`, normalised (a message is read by several screens: normalised once)."""
        key = (text, limit)
        cached = self._token_cache.get(key)
        if cached is None:
            cached = tuple(self.language.tokens(text, limit))
            if len(self._token_cache) >= self._TOKEN_CACHE_LIMIT:
                # Small: only the message being answered is read again, and patients' words are not kept.
                self._token_cache.clear()
            self._token_cache[key] = cached
        return list(cached)

    def stems(self, text: str, limit: int | None = None) -> Phrase:
        """The stems of the words of `text`."""
        return tuple(self.stem(w) for w in self.language.tokens(text, limit))

    def phrases(self, cues: Iterable[str], also: Sequence[str] = ()) -> tuple[Phrase, ...]:
        """Cues as stem sequences, `{procedure}` replaced by each name (and each of `also`); longest first,
        without duplicates."""
        found: dict[Phrase, None] = {}
        names = (*self.names, *also)
        for cue in cues:
            for text in _expand(cue, names):
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


@dataclass(frozen=True)
class ProcedureNouns:
    """The last word of a procedure's name of several words ("peel" of "acid peel"), the words that may
    stand between it and a determiner and still name the treatment ("a glycolic peel", "my TCA peel"), and
    the procedure's names themselves."""

    nouns: frozenset[str] = frozenset()
    modifiers: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.nouns)


def procedure_nouns(
    language: Language, name: str, names: Sequence[str], kinds: Sequence[str] = ()
) -> ProcedureNouns:
    """The last word of a procedure's name of several words, with its plurals, when it is not a name itself
    ("peel" of a "... peel"): after a determiner it names the procedure ("after my peel"), also with words
    of its names or its `kinds` between ("after a glycolic peel")."""
    words = name.split()
    last = language.normalize(words[-1], None) if len(words) > 1 else ""
    normalized = {language.normalize(n, None) for n in (name, *names)}
    if not last or last in normalized:
        return ProcedureNouns()
    nouns = frozenset({last, *(last + p for p in language.plurals)})
    modifiers = {w for n in normalized for w in n.split()} | {language.normalize(k, None) for k in kinds}
    return ProcedureNouns(nouns, frozenset(modifiers - nouns - language.determiners), frozenset(normalized))


def mark_procedure_nouns(
    words: Sequence[str], nouns: ProcedureNouns, language: Language, mark: str, leave_names: bool = False
) -> list[str]:
    """`words` with each noun after a determiner (and any modifiers) replaced by `mark`: "after my peel" and
    "after a glycolic peel" name the treatment, "will I peel" and "will my skin peel" do not. With
    `leave_names`, a name of the procedure ("an acid peel") is left whole for the reader of names."""
    result = list(words)
    for i in range(1, len(result)):
        if result[i] not in nouns.nouns:
            continue
        before = i - 1
        while before > 0 and words[before] in nouns.modifiers:
            before -= 1
        if words[before] not in language.determiners:
            continue
        if leave_names and any(
            " ".join(words[start : i + 1]) in nouns.names for start in range(before + 1, i)
        ):
            continue  # "a light acid peel": its name is read whole
        result[i] = mark
    return result


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


class PhraseSet:
    """Phrases indexed by their first word, to find any of them in a message without trying each one."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        by_first: dict[str, list[Phrase]] = {}
        for phrase in phrases:
            if phrase:
                by_first.setdefault(phrase[0], []).append(phrase)
        self._by_first = {w: tuple(sorted(p, key=len, reverse=True)) for w, p in by_first.items()}

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def spans(self, words: Sequence[str]) -> list[tuple[int, int]]:
        """(start, end) of every occurrence, the longest phrase at each start."""
        found: list[tuple[int, int]] = []
        if self._by_first.keys().isdisjoint(words):
            return found  # the usual case, checked in C
        for start, word in enumerate(words):
            for phrase in self._by_first.get(word, ()):
                end = start + len(phrase)
                if end <= len(words) and tuple(words[start:end]) == phrase:
                    found.append((start, end))
                    break
        return found

    def find(self, words: Sequence[str]) -> int:
        """The position of the first phrase found (-1 when none is)."""
        found = self.spans(words)
        return found[0][0] if found else -1


class CueSet:
    """Cues whose parts must all appear, indexed by a word each cue needs."""

    def __init__(self, cues: Iterable[Cue]) -> None:
        by_word: dict[str, list[Cue]] = {}
        for cue in cues:
            if cue and all(cue):
                key = max((w for part in cue for w in part), key=len)
                by_word.setdefault(key, []).append(cue)
        self._by_word = {w: tuple(c) for w, c in by_word.items()}

    def covered(self, words: Sequence[str]) -> set[int]:
        """The positions of `words` inside the parts of every cue found ("now" in "now and then")."""
        present = set(words)
        positions: set[int] = set()
        for word in present.intersection(self._by_word):
            for cue in self._by_word[word]:
                if not all(present.issuperset(part) for part in cue):
                    continue
                spans = [PhraseSet([part]).spans(words) for part in cue]
                if all(spans):
                    for found in spans:
                        for start, end in found:
                            positions.update(range(start, end))
        return positions

    def any_in(self, words: Sequence[str]) -> bool:
        """True when every part of some cue occurs in `words`."""
        present = set(words)
        return any(
            all(present.issuperset(part) for part in cue) and all(contains(words, part) for part in cue)
            for word in present.intersection(self._by_word)
            for cue in self._by_word[word]
        )
