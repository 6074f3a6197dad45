"""An enrollment link belongs to the first account that opens it. Anyone else (a stranger, or a patient
already enrolled through another link) is refused kindly, without learning whose link it is, and nothing
changes: no rename, no added treatment. The rightful owner can still use their link afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.bot_support import Bot
from tests.fakebotapi import FakeBotAPI

logging.getLogger("httpx").setLevel(logging.WARNING)

REFUSED = "Sorry, I can't use this link"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as srv:
        yield srv


def state(bot: Bot) -> tuple[list[tuple[Any, ...]], ...]:
    return (
        bot.rows("SELECT * FROM patients ORDER BY id"),
        bot.rows("SELECT * FROM treatments ORDER BY id"),
        bot.rows("SELECT * FROM invites ORDER BY id"),
        bot.rows("SELECT * FROM setups"),
    )


async def open_link(bot: Bot, chat: int, payload: str, first_name: str) -> str:
    [reply] = await bot.say(chat, f"/start {payload}", first_name=first_name)
    return reply.text or ""


async def test_a_link_another_account_opened_is_refused_and_its_owner_keeps_it(bot: Bot) -> None:
    link = bot.invite(days_ago=2, name="Annabel").payload
    assert "Hello, Annabel!" in await open_link(bot, 901, link, "Annabel")
    before = state(bot)

    refused = await open_link(bot, 902, link, "Eve")
    assert REFUSED in refused
    assert "Annabel" not in refused and "day 2" not in refused  # nothing about whose link it is
    assert state(bot) == before
    assert bot.rows("SELECT COUNT(*) FROM patients WHERE chat_id = 902") == [(0,)]
    [(used_at,)] = bot.rows("SELECT used_at FROM invites")
    assert used_at is not None

    again = await open_link(bot, 901, link, "Annabel")  # the owner, later: still theirs
    assert "Hello, Annabel!" in again and "day 2" in again
    assert state(bot) == before
    [answer] = await bot.say(901, "can I use retinol yet?")
    assert (answer.text or "").startswith("Not yet: you are on day 2")
    [stranger] = await bot.say(902, "can I use retinol yet?")
    assert "day 2" not in (stranger.text or "")


async def test_a_patient_opening_another_persons_link_is_refused_the_same_way(bot: Bot) -> None:
    ann = bot.invite(days_ago=2, name="Ann").payload
    bob = bot.invite(days_ago=5, name="Bob", procedure="chemical_peel").payload
    await open_link(bot, 911, ann, "Ann")
    before = state(bot)

    refused = await open_link(bot, 911, bob, "Ann")
    assert REFUSED in refused and "Bob" not in refused and "chemical peel" not in refused.lower()
    assert state(bot) == before  # no rename, no second treatment, Bob's link unused
    assert bot.rows("SELECT name FROM patients WHERE chat_id = 911") == [("Ann",)]
    [today] = await bot.say(911, "/today")
    assert (today.text or "").startswith("You are on day 2 after your microneedling")

    welcome = await open_link(bot, 912, bob, "Bob")  # Bob's link still works for Bob
    assert "Hello, Bob!" in welcome and "day 5" in welcome
    assert bot.rows("SELECT chat_id, name FROM patients ORDER BY id") == [(911, "Ann"), (912, "Bob")]
    treatments = bot.rows("SELECT procedure FROM treatments ORDER BY id")
    assert treatments == [("microneedling",), ("chemical_peel",)]
