"""Button data is parsed by one codec (bot/services/buttons.py) that rejects anything it did not make. A
forged or garbled press (a client can send any callback data) gets a kind "no longer active" note, never the
"something went wrong" fallback, logs nothing above DEBUG and changes nothing in the database."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.answer import Engine
from bot.services import buttons
from tests.bot_support import Bot, start_bot, stop_bot
from tests.fakebotapi import Call, FakeBotAPI, callback_query_id

logging.getLogger("httpx").setLevel(logging.WARNING)

STAFF_CHAT = -100700
STAFF = 960
ANN, BOB = 501, 502
STALE = "That button is no longer active"
CLOSED = "This check-in is closed"
FALLBACK = "something went wrong"

# Data no button of the bot ever carried: the codec itself says no.
GARBLED = [
    "ci:²:all_good",  # a superscript two is a digit to str.isdigit, not to the codec
    "ci:٣:all_good",
    "ci:1234567890123456789012345:all_good",  # 25 digits
    "al:h:99999999999999999999999",
    "al:x:1",
    "",
    " p:microneedling",
    "p:microneedling\n",
    "p:Microneedling",
    "ci:0007:all_good",  # the same number, but not as the bot writes it
    "z:00:microneedling:r0",
    "z:0:microneedling:20261399",  # no such date
    "d:microneedling:3",
    "f:maybe",
    "hp:close",
    "x" * 65,
    "p:" + "a" * 62,
    random.Random(7).randbytes(30).decode("latin-1"),
    random.Random(8).randbytes(60).decode("utf-8", "replace")[:20],
]

PRESSES: list[buttons.Press] = [
    buttons.PickProcedure("microneedling"),
    buttons.PickVariant("chemical_peel", "medium"),
    buttons.PickVariant("chemical_peel", None),
    buttons.PickDate("dermal_filler", 2),
    buttons.PickZone(3, "microneedling", date(2026, 11, 21), None),
    buttons.PickZone(0, "microneedling", None, 1),
    buttons.Suggestion("retinoids"),
    buttons.Forget(True),
    buttons.Forget(False),
    buttons.Person(),
    buttons.AlertAction(123456789012345, True),
    buttons.AlertAction(7, False),
    buttons.CheckinOption(42, "something_wrong"),
    buttons.WarningAnswer(42, 3, True),
    buttons.EnrollChoice(9, "chemical_peel", "superficial"),
    buttons.EnrollChoice(9, "microneedling", None),
]


@pytest.mark.parametrize("press", PRESSES, ids=lambda p: type(p).__name__)
def test_every_button_the_bot_makes_decodes_to_itself(press: buttons.Press) -> None:
    data = buttons.encode(press)
    assert len(data.encode("utf-8")) <= buttons.MAX_BYTES
    assert buttons.decode(data) == press


@pytest.mark.parametrize("data", GARBLED)
def test_the_codec_rejects_data_it_did_not_make(data: str) -> None:
    assert buttons.decode(data) is None


near_valid = st.builds(
    lambda prefix, tail: prefix + tail,
    st.sampled_from(["p:", "v:", "d:", "z:", "s:", "f:", "hp:", "al:h:", "al:o:", "ci:", "en:", ""]),
    st.text(alphabet="0123456789abcz_:rwyn²٣ \n", max_size=40),
)


@given(st.one_of(near_valid, st.text(max_size=80)))
def test_whatever_the_codec_accepts_is_exactly_what_it_would_make(data: str) -> None:
    press = buttons.decode(data)  # never raises
    assert press is None or buttons.encode(press) == data


# -- the same through the running bot --------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as srv:
        yield srv


def snapshot(bot: Bot) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, except the record of which updates were handled."""
    tables = [t for (t,) in bot.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: bot.rows(f"SELECT * FROM [{t}]") for t in tables if t not in ("processed_updates", "inbox")}


async def press(bot: Bot, chat: int, data: str, user: int | None = None) -> tuple[Call, list[Call]]:
    """Press `data` on the bot's latest message in `chat`: the answer to the query, and every other request
    it led to."""
    mark = bot.server.mark()
    update_id = bot.server.push_callback(chat, data, user_id=user, first_name="Eve")
    answer = await bot.server.wait_for_async(
        lambda c: (
            c.method == "answerCallbackQuery"
            and c.params.get("callback_query_id") == callback_query_id(update_id)
        ),
        since=mark,
    )
    await bot.settled()
    others = [c for c in bot.server.requests[mark:] if c.method not in ("getUpdates", "answerCallbackQuery")]
    return answer, others


@pytest.fixture
async def bot(server: FakeBotAPI, engine: Engine, tmp_path: Path) -> Any:
    running = await start_bot(
        server, engine, tmp_path / "bot.db", staff_chat_id=STAFF_CHAT, staff_ids=frozenset({STAFF})
    )
    try:
        for chat, name in ((ANN, "Ann"), (BOB, "Bob")):
            await running.say(chat, f"/start {running.invite(days_ago=0, name=name).payload}")
        running.clock.advance(days=1)  # Ann's and Bob's day-1 check-ins go out
        await running.dispatch()
        yield running
    finally:
        await stop_bot(running)


async def test_garbled_button_data_gets_the_stale_note_and_changes_nothing(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    before = snapshot(bot)
    caplog.set_level(logging.DEBUG)
    for chat, user in ((ANN, None), (STAFF_CHAT, STAFF)):
        for data in GARBLED:
            answer, others = await press(bot, chat, data, user)
            assert STALE in (answer.params.get("text") or ""), (data, answer.summary())
            assert others == [], (data, [c.summary() for c in others])  # no message sent or edited
    assert snapshot(bot) == before
    assert bot.errors == []
    loud = [r for r in caplog.records if r.levelno > logging.DEBUG or r.exc_info]
    assert loud == [], [f"{r.levelname} {r.name}: {r.getMessage()}" for r in loud]


async def test_a_well_formed_press_on_what_is_not_the_pressers_changes_nothing(bot: Bot) -> None:
    [(ann_checkin,)] = bot.rows(
        "SELECT id FROM outbox WHERE kind = 'checkin' AND chat_id = ? AND state = 'sent'", ANN
    )
    before = snapshot(bot)
    forged = [
        (BOB, None, f"ci:{ann_checkin}:something_wrong"),  # Ann's check-in, pressed in Bob's chat
        (BOB, None, f"ci:{ann_checkin}:w0:y"),
        (BOB, None, "ci:999999:all_good"),
        (ANN, None, f"ci:{ann_checkin}:no_such_option"),
        (ANN, None, "al:h:424242"),  # staff buttons from a patient
        (ANN, None, "en:1:microneedling"),
        (STAFF_CHAT, STAFF, "al:o:424242"),  # an alert that does not exist
        (STAFF_CHAT, STAFF, "en:424242:microneedling"),
        (ANN, None, "p:no_such_procedure"),
        (ANN, None, "v:microneedling:deep"),
        (ANN, None, "z:42:microneedling:r0"),
        (ANN, None, "s:no_such_entry"),
    ]
    for chat, user, data in forged:
        answer, others = await press(bot, chat, data, user)
        said = [answer.params.get("text") or "", *(c.text or "" for c in others)]
        assert any(STALE in s or CLOSED in s for s in said), (data, said)
        assert not any(FALLBACK in s for s in said), (data, said)
    assert snapshot(bot) == before
    assert bot.rows("SELECT COUNT(*) FROM checkin_responses") == [(0,)]
    assert bot.rows("SELECT COUNT(*) FROM alerts") == [(0,)]
    assert bot.errors == []
