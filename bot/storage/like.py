"""Text for SQL `LIKE ... ESCAPE '\\'`: the text's own `%`, `_` and `\\` matched as themselves."""

from __future__ import annotations

ESCAPE = "\\"


def escaped(text: str) -> str:
    """`text` with the characters LIKE treats specially escaped."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
