"""Development tool: the words of a word list that the crisis screen would read as a typo of a crisis word.

    python -m tests.typo_scan /usr/share/dict/british-english

Every word it prints (not an inflection of the crisis word, nor a rare word listed below) is a real word
the screen would rewrite ("kicking" as "killing", "split" as "slit"): add them to `crisis.not_typos` in
knowledge/language.yaml, and rerun after adding crisis words. The bot never reads a word list at run time;
tests/test_crisis_screen.py holds the screen to the shipped `not_typos`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.core.crisis import CrisisScreen
from bot.core.language import Reader
from tests.checkin_support import shipped_engine

RARE_WORDS_READ_AS_TYPOS = frozenset(
    "lief lifer diked kilned kilning haloing toniest wriest writs whist palls overbore liming haring harem "
    "catting starvings strawing wrest wrests tableau tableaus waked waken existent".split()
)
"""Rare words more often a typo of a crisis word than meant ("lief" for "life"): read as it on purpose."""
_INFLECTIONS = ("s", "es", "d", "ings")
"""A word read as the crisis word it inflects ("suicides", "hangs") means the same: not reported."""


def rewritten(words: list[str]) -> dict[str, str]:
    """The words the crisis screen reads as another word, with that word."""
    language = shipped_engine().kb.language
    screen = CrisisScreen(language, Reader(language, ()))
    return {
        w: r
        for w in words
        if (r := screen.word(w)) != w
        and w not in RARE_WORDS_READ_AS_TYPOS
        and not (w.startswith(r) and w[len(r) :] in _INFLECTIONS)
    }


def main(path: str) -> int:
    lines = Path(path).read_text(encoding="utf-8").split()
    words = sorted({w for w in lines if w.isalpha() and w.islower() and w.isascii()})
    found = rewritten(words)
    for word, read in sorted(found.items()):
        print(word, read)
    print(f"{len(found)} of {len(words)} words read as another word", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
