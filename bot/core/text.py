"""Text normalisation shared by the matcher and the warning-sign screen.

Patients type on phones: mixed case, curly quotes, zero-width characters pasted from other apps, missing
apostrophes ("cant"), hyphens in brand names ("retin-a"). Everything is folded to plain lower-case words here
so that the rest of the core compares like with like.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

MAX_INPUT_CHARS = 2000
"""Only the start of a very long message is read: nobody asks a question in more than this."""

_CONTRACTIONS = {
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "won't": "will not",
    "wont": "will not",
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "didn't": "did not",
    "didnt": "did not",
    "isn't": "is not",
    "isnt": "is not",
    "aren't": "are not",
    "arent": "are not",
    "wasn't": "was not",
    "wasnt": "was not",
    "haven't": "have not",
    "havent": "have not",
    "hasn't": "has not",
    "hasnt": "has not",
    "shouldn't": "should not",
    "shouldnt": "should not",
    "couldn't": "could not",
    "couldnt": "could not",
    "wouldn't": "would not",
    "wouldnt": "would not",
    "ain't": "is not",
    "i'm": "i am",
    "im": "i am",
    "i've": "i have",
    "ive": "i have",
    "i'll": "i will",
    "i'd": "i would",
    "it's": "it is",
    "that's": "that is",
    "what's": "what is",
    "there's": "there is",
    "you're": "you are",
    "they're": "they are",
    "we're": "we are",
    "he's": "he is",
    "she's": "she is",
}

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_NON_WORD = re.compile(r"[^\w']+")
_WORD_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")

STOPWORDS = frozenset(
    """
    a an the and or but if so than then of to in on at by for from with about into over under up down
    out off i me my mine myself we us our you your yours he him his she her it its they them their this
    that these those am is are was were be been being do does did doing have has had having will would
    shall should can could may might must just also too very really quite still even again already yet
    now here there when where what which who whom whose why how all any both each few more most other
    some such only own same as ok okay please im ive lol get got go going want need know think tell say
    said s t d ll m re ve y o
    """.split()
)
"""Function words that say nothing about the topic; negations are deliberately *not* listed here."""

NEGATIONS = frozenset({"no", "not", "never", "without", "none", "nor", "neither", "nothing", "zero"})


def strip_invisible(text: str) -> str:
    """Remove zero-width and other format characters (Unicode category Cf) and control characters."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in {"Cf", "Cc"} or ch in "\n\t ")


def normalize(text: str, limit: int | None = MAX_INPUT_CHARS) -> str:
    """Fold a message to lower-case words with single spaces: NFKC, no punctuation, no contractions.

    Only the first `limit` characters are read (all of them with None).
    """
    text = unicodedata.normalize("NFKC", text if limit is None else text[:limit])
    text = strip_invisible(text).translate(_APOSTROPHES).casefold()
    words = []
    for raw in _NON_WORD.sub(" ", text).split():
        word = _WORD_APOSTROPHE.sub("", raw)
        expanded = _CONTRACTIONS.get(word)
        if expanded is not None:
            words.append(expanded)
        elif "'" in word:
            # Possessives and unknown contractions: "doctor's" -> "doctor s" keeps the noun intact.
            words.append(word.replace("'", " "))
        else:
            words.append(word)
    return " ".join(" ".join(words).replace("_", " ").split())


def tokens(text: str) -> list[str]:
    """Normalise and split into words."""
    return normalize(text).split()


def stem(word: str) -> str:
    """Crude suffix stripping so that "peeling", "peel" and "peels" compare equal.

    Consistency matters more than linguistic accuracy: the same function is applied to the knowledge base and
    to the patient's words.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl, min_len in (
        ("iness", "y", 7),
        ("ness", "", 7),
        ("ies", "y", 5),
        ("ing", "", 6),
        ("ed", "", 5),
        ("es", "", 6),
        ("s", "", 4),
        ("ly", "", 6),
    ):
        if word.endswith(suffix) and len(word) >= min_len:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            word = word[: len(word) - len(suffix)] + repl
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # runn -> run, swimm -> swim
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]  # shave / shaving -> shav, breathe / breathing -> breath
    if len(word) > 4 and word.endswith("y"):
        word = word[:-1]  # itchy -> itch, puffy -> puff, flaky -> flak
    return word


def fill(template: str, values: Mapping[str, object]) -> str:
    """Fill `{name}` placeholders; unknown placeholders stay as they are instead of raising."""

    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return re.sub(r"\{(\w+)\}", repl, template)


def placeholders(template: str) -> set[str]:
    """The `{name}` placeholders a template uses."""
    return set(re.findall(r"\{(\w+)\}", template))
