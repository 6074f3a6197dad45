"""`aftercare kb suggest`: for each group of questions the bot could not answer, the closest entry and a
ready-to-paste YAML snippet (the questions as new examples), or a stub for a new entry."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.grouping import Group, group_questions
from bot.core.language import Language
from bot.core.loader import LoadResult
from bot.core.matcher import Matcher
from bot.core.model import Procedure

CLOSE_SIMILARITY = 0.5
"""An entry is close when one of its keywords occurs, or an example is at least this similar (0 to 1)."""
MAX_EXAMPLE = 120
ENTRY_INDENT = "  "
ITEM_INDENT = "      "


@dataclass(frozen=True)
class Suggestion:
    """One group's advice: add `examples` to `entry_id` (after `line` of `file`), or a new entry;
    `similarity` is how close the nearest entry's examples are (0 to 1)."""

    group: Group
    procedure: str
    file: str
    entry_id: str | None
    similarity: float
    line: int
    examples: tuple[str, ...]
    new_id: str = "new_topic"
    """For a new entry: an id made of the first question's words."""
    new_keywords: tuple[str, ...] = ()
    """For a new entry: the first question's first content words, as keywords to start from."""


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _unique(texts: Sequence[str], known: set[str]) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for text in texts:
        key = " ".join(text.casefold().split()).rstrip("?!. ")
        if key and key not in known and key not in found and len(text) <= MAX_EXAMPLE:
            found[key] = text.strip()
    return tuple(found.values())


def suggest(result: LoadResult, procedure: Procedure, groups: Sequence[Group]) -> list[Suggestion]:
    """The advice for each group, biggest first.

    The questions are grouped again with the knowledge base's stopwords, so that "can I dye my hair?" and
    "when can i dye my hair" are one group however the caller grouped them."""
    assert result.kb is not None, "suggestions need a loaded knowledge base"
    language = result.kb.language
    groups = group_questions((t for g in groups for t in g.texts), stopwords=language.stopwords)
    matcher = Matcher(procedure, language)
    loaded = result.lines[procedure.source]
    found = []
    for group in groups:
        ranked = matcher.score(group.example)
        top = ranked[0] if ranked else None
        if top is not None and (top.keyword > 0 or round(top.similarity, 6) >= CLOSE_SIMILARITY):
            index = next(i for i, e in enumerate(procedure.entries) if e.id == top.entry_id)
            entry = procedure.entries[index]
            known = {" ".join(x.casefold().split()).rstrip("?!. ") for x in entry.examples}
            line = loaded.end_of(("entries", index, "examples"))  # after its last example
            examples = _unique(group.texts, known)
            found.append(
                Suggestion(group, procedure.id, procedure.source, entry.id, top.similarity, line, examples)
            )
        else:
            # After the last line of the last entry, wherever `entries:` stands in the file (before or after
            # `warning_signs:`): a new entry pasted there can only join `entries:`.
            line = loaded.end_of(("entries",))
            examples = _unique(group.texts, set())
            similarity = top.similarity if top else 0.0
            words = _content_words(language, examples[0] if examples else group.example)
            found.append(
                Suggestion(
                    group,
                    procedure.id,
                    procedure.source,
                    None,
                    similarity,
                    line,
                    examples,
                    new_id="new_" + "_".join(words[:4] or ["topic"]),
                    new_keywords=tuple(dict.fromkeys(w for w in words if len(w) > 2))[:3] or tuple(words[:1]),
                )
            )
    return found


def _content_words(language: Language, text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", language.normalize(text)) if w not in language.stopwords]


def snippet(s: Suggestion) -> str:
    """The YAML for one suggestion: comments saying where it goes, then the lines to paste."""
    name = s.file  # the path of the very file the line number is for (the clinic's copy, not the shipped one)
    head = [f"# asked {s.group.count}x, e.g. {_q(s.group.example)}"]
    if not s.examples:
        return "\n".join([*head, "# nothing to paste: the questions are too long or already examples", "[]"])
    if s.entry_id is not None:
        head.append(f"# closest entry: {s.entry_id} (example similarity {s.similarity:.2f})")
        head.append(f"# paste into {name} right after line {s.line}")
        head.append(f"# (the last line of the `examples:` of '{s.entry_id}'):")
        return "\n".join([*head, *(f"{ITEM_INDENT}- {_q(x)}" for x in s.examples)])
    keywords = list(s.new_keywords)
    title = s.examples[0][:40].strip().capitalize()
    examples = list(s.examples)
    head.append(
        "# no entry is close: a new entry (write its answer: `kb check` refuses the TODO; check its kind"
    )
    head.append("# and keywords)")
    head.append(f"# paste into {name} right after line {s.line}, at the end of `entries:`:")
    lines = [
        f"{ENTRY_INDENT}- id: {s.new_id}",
        f"{ENTRY_INDENT}  kind: info",
        f"{ENTRY_INDENT}  title: {_q(title)}",
        f"{ENTRY_INDENT}  examples:",
        *(f"{ITEM_INDENT}- {_q(x)}" for x in examples),
        f"{ENTRY_INDENT}  keywords: [{', '.join(_q(k) for k in keywords)}]",
        f"{ENTRY_INDENT}  answer: {_q('TODO: the answer, in the clinic’s words.')}",
    ]
    return "\n".join([*head, *lines])
