"""Text machinery shared by the matcher and the warning-sign screen; the words themselves are data.

Patients type on phones: mixed case, curly quotes, zero-width characters pasted from other apps, missing
apostrophes ("cant"), hyphens in brand names ("retin-a"), letters spaced out ("p u s") or held down
("puuuss"). Everything is folded to plain lower-case words here so that the rest of the core compares like
with like. Which contractions to expand and how to strip suffixes come from `knowledge/language.yaml`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

MAX_INPUT_CHARS = 2000
"""Only the start of a very long message is read: nobody asks a question in more than this."""

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_NON_WORD = re.compile(r"[^\w']+")
_WORD_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_HELD_DOWN = re.compile(r"(.)\1{2,}")
_DOUBLED = re.compile(r"(.)\1+")


@dataclass(frozen=True)
class SuffixRule:
    """Remove `suffix` (and append `replace`) from words at least `min_length` letters long."""

    suffix: str
    replace: str
    min_length: int


@dataclass(frozen=True)
class Stemming:
    """A language's suffix rules (see `stem`)."""

    suffixes: tuple[SuffixRule, ...] = ()
    plural_exceptions: tuple[str, ...] = ()
    keep_double: frozenset[str] = frozenset()
    drop_final: frozenset[str] = frozenset()
    keep: frozenset[str] = frozenset()
    function_words: frozenset[str] = frozenset()
    """Words of grammar (stopwords, negations): never stemmed ("does" is not "doe", "nothing" stays a
    negation)."""
    negations: frozenset[str] = frozenset()
    """No other word is stemmed into one of these: "note" is not "not"."""
    shortest: int = 4
    """Words shorter than this stay as they are; the final letters in `drop_final` are dropped from stems of
    at least this length ("ice" and "icing" both become "ic" with 3)."""


def strip_invisible(text: str) -> str:
    """Remove zero-width and other format characters (Unicode category Cf) and control characters."""
    if text.isascii():
        return _ASCII_CONTROL.sub("", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in {"Cf", "Cc"} or ch in "\n\t ")


def normalize(text: str, contractions: Mapping[str, str], limit: int | None = MAX_INPUT_CHARS) -> str:
    """Fold a message to lower-case words with single spaces: NFKC, no punctuation, contractions expanded.

    Only the first `limit` characters are read (all of them with None).
    """
    text = unicodedata.normalize("NFKC", text if limit is None else text[:limit])
    text = strip_invisible(text).translate(_APOSTROPHES).casefold()
    words = []
    for raw in _NON_WORD.sub(" ", text).split():
        word = _WORD_APOSTROPHE.sub("", raw)
        expanded = contractions.get(word)
        if expanded is not None:
            words.append(expanded)
        elif "'" in word:
            # Possessives and unknown contractions: "doctor's" -> "doctor s" keeps the noun intact.
            words.append(word.replace("'", " "))
        else:
            words.append(word)
    return " ".join(" ".join(words).replace("_", " ").split())


def stem(word: str, rules: Stemming) -> str:
    """Crude suffix stripping so that "peeling", "peel" and "peels" compare equal.

    Consistency matters more than linguistic accuracy: the same function is applied to the knowledge base and
    to the patient's words.
    """
    if len(word) < rules.shortest or not word.isalpha() or word in rules.keep or word in rules.function_words:
        return word
    original = word
    for rule in rules.suffixes:
        if word.endswith(rule.suffix) and len(word) >= rule.min_length:
            if len(rule.suffix) == 1 and word.endswith(rules.plural_exceptions):
                continue
            word = word[: len(word) - len(rule.suffix)] + rule.replace
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in rules.keep_double:
        word = word[:-1]  # runn -> run, swimm -> swim
    for letter in ("e", "y"):
        if letter in rules.drop_final and len(word) >= max(rules.shortest, 3) and word.endswith(letter):
            word = word[:-1]  # shave / shaving -> shav, itchy -> itch
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in rules.keep_double:
                word = word[:-1]  # sunny -> sunn -> sun
    return original if word in rules.negations else word


def squeezed(word: str) -> Iterator[str]:
    """Spellings of a word typed with a key held down, most likely first: "puuuss" -> "puss", "pus"."""
    once = _HELD_DOWN.sub(r"\1", word)
    if once != word:
        yield once
    twice = _HELD_DOWN.sub(r"\1\1", word)
    if twice != word and twice != once:
        yield twice
    single = _DOUBLED.sub(r"\1", word)
    if single not in (word, once):
        yield single


def join_spelled(words: list[str], known: Collection[str], min_run: int = 3) -> list[str]:
    """Join letters typed one by one ("p u s", "f e v e r") into the word they spell.

    A run of single letters becomes one word when it is at least `min_run` letters long or spells a word in
    `known`; "i" and "a" on their own stay words.
    """
    result: list[str] = []
    index = 0
    while index < len(words):
        end = index
        while end < len(words) and len(words[end]) == 1 and words[end].isalpha():
            end += 1
        run = words[index:end]
        joined = "".join(run)
        if len(run) >= 3 and joined not in known and joined[1:] in known:
            result.append(words[index])  # "a p u s": the article stays a word
            index += 1
        elif len(run) >= 2 and (len(run) >= min_run or joined in known):
            result.append(joined)
            index = end
        else:
            result.append(words[index])
            index += 1
    return result


def fill(template: str, values: Mapping[str, object]) -> str:
    """Fill `{name}` placeholders; unknown placeholders stay as they are instead of raising."""

    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return re.sub(r"\{(\w+)\}", repl, template)


def placeholders(template: str) -> set[str]:
    """The `{name}` placeholders a template uses."""
    return set(re.findall(r"\{(\w+)\}", template))
