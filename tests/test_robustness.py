"""No input crashes the engine or produces a reply Telegram would refuse."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.answer import MAX_REPLY_CHARS, Engine
from bot.core.text import normalize

P = "microneedling"

words = st.sampled_from(
    ["retinol", "pus", "no", "not", "and", "can", "i", "makeup", "gym", "fever", "?", ",", "\u200b", "day"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=10_000), day=st.one_of(st.none(), st.integers(min_value=0, max_value=365)))
def test_any_text_gets_a_bounded_answer(engine: Engine, text: str, day: int | None) -> None:
    answer = engine.answer(text, P, day=day)
    assert 0 < len(answer.text) <= MAX_REPLY_CHARS
    assert 0.0 <= answer.confidence <= 1.0


@pytest.mark.parametrize(
    "text", ["\u2776", "I took \u2776\u2777 pills", "\u00b2\u00b3 tablets", "\u0663\u0660 pills"]
)
def test_digits_that_are_not_decimal_numbers_are_read_without_a_crash(engine: Engine, text: str) -> None:
    # "\u2776" (a circled one) passes str.isdigit() but not int(): found by the property test above.
    answer = engine.answer(text, P, day=2)
    assert answer.text


def test_the_chat_console_reads_a_circled_digit_as_a_question() -> None:
    from bot.cli import build_parser, cmd_chat

    args = build_parser().parse_args(["chat", "--day", "2", "--procedure", P])
    out = io.StringIO()
    cmd_chat(args, out, stdin=io.StringIO("what about my skin\n\u2776\n"))
    assert out.getvalue().count("\n\n") >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(words, max_size=400), day=st.one_of(st.none(), st.integers(min_value=0, max_value=60)))
def test_keyword_soup_gets_a_bounded_answer(engine: Engine, parts: list[str], day: int | None) -> None:
    answer = engine.answer(" ".join(parts), P, day=day)
    assert 0 < len(answer.text) <= MAX_REPLY_CHARS
    assert len(answer.topics) <= 3


def test_a_very_long_message_is_cut_and_says_so(engine: Engine) -> None:
    answer = engine.answer("can i use retinol " * 1000, P, day=2)
    assert len(answer.text) <= MAX_REPLY_CHARS
    assert answer.topic == "retinoids"
    assert engine.kb.message("matching.too_long") in answer.text


def test_normalize_folds_case_width_and_invisible_characters(engine: Engine) -> None:
    language = engine.kb.language  # the contractions come from knowledge/language.yaml
    assert language.normalize("ＲＥＴＩＮＯＬ\u200b\u200d?") == "retinol"
    assert language.normalize("Can't  use   Retin-A!") == "can not use retin a"
    assert language.normalize("it’s fine") == "it is fine"
    assert normalize("Can't  use   Retin-A!", {}) == "can t use retin a"  # no contractions, no expansion
