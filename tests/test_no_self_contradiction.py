"""One reply never contradicts itself: beside a warning sign no "this is normal" text follows, and with the
day unknown a symptom question gets what is normal by day, not a verdict."""

from __future__ import annotations

import pytest

from bot.core.answer import Engine
from bot.core.model import Tier

P = "microneedling"


@pytest.mark.parametrize(
    ("message", "day"),
    [
        ("my face is still red on day 6, is that normal?", 6),
        ("still really swollen and red, is that expected?", None),
        ("still peeling on day 12, is this normal", 12),
    ],
)
def test_a_book_a_check_reply_is_not_followed_by_this_is_normal(
    engine: Engine, message: str, day: int | None
) -> None:
    answer = engine.answer(message, P, day=day)
    # Redness or swelling past day 5 is same-day (the guidance's red-flag summary); late peeling a check.
    assert answer.urgency in (Tier.ROUTINE, Tier.SAME_DAY), (message, answer.urgency)
    procedure = engine.procedure(P)
    for section in answer.sections:
        for entry in procedure.entries:
            if entry.symptom is not None:
                assert entry.answer[:60] not in section, (message, entry.id)


def test_a_same_day_sign_carries_no_symptom_reassurance(engine: Engine) -> None:
    answer = engine.answer("there's pus coming out and it's really itchy, is the itching normal?", P, day=3)
    assert answer.urgency is Tier.SAME_DAY
    itching = engine.procedure(P).entry("itching")
    assert itching is not None and itching.answer[:60] not in answer.text


def test_an_unknown_day_gets_the_usual_days_not_a_verdict(engine: Engine) -> None:
    restriction = engine.answer("can i wear makeup", P, day=None)
    assert restriction.allowed_now is None and "day 0 is the treatment day" in restriction.text
    symptom = engine.answer("how long does the redness last", P, day=None)
    assert symptom.allowed_now is None and "1 to 2 days" in symptom.text
