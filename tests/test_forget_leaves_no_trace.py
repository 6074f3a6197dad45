"""After /forget and after the retention purge, a patient's name and words are gone from the bytes on disk:
not in the database file (free pages included) nor in its write-ahead log, while the bot still runs and after
it stopped."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.answer import Engine
from tests.bot_support import Bot, start_bot, stop_bot
from tests.fakebotapi import FakeBotAPI

logging.getLogger("httpx").setLevel(logging.WARNING)

STAFF_CHAT = -100800


@pytest.fixture(scope="module")
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as srv:
        yield srv


def traces(db: Path, *phrases: str) -> list[tuple[str, str]]:
    """(file, phrase) for each phrase found, in any case, in the database file or its write-ahead log."""
    found = []
    for path in (db, Path(f"{db}-wal")):
        data = path.read_bytes().lower() if path.exists() else b""
        found += [(path.name, p) for p in phrases if p.lower().encode("utf-8") in data]
    return found


async def patient_who_talked(bot: Bot, chat: int, name: str, instrument: str, animal: str) -> None:
    """A patient named `name` who asked what the bot cannot answer (the text is kept for the clinic) and
    reported a warning sign (staff get an alert quoting it)."""
    first = name.split()[0]
    await bot.say(chat, f"/start {bot.invite(days_ago=1, name=name).payload}", first_name=first)
    await bot.say(chat, f"can I play the {instrument} with marmalade gloves", first_name=first)
    await bot.say(chat, f"my cheek is hot and oozing pus near the {animal} tattoo", first_name=first)
    await bot.settled()


async def forget(bot: Bot, chat: int, first_name: str) -> None:
    await bot.say(chat, "/forget", first_name=first_name)
    mark = bot.server.mark()
    bot.server.push_callback(chat, "f:yes", first_name=first_name)
    await bot.server.wait_for_async(lambda c: c.method == "editMessageText" and c.ok, since=mark)
    await bot.settled()


async def test_forget_leaves_no_trace_in_the_database_file_or_its_log(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    secret = ("Zebedee", "Quillfeather", "xylophone", "hedgehog")
    bot = await start_bot(server, engine, db, staff_chat_id=STAFF_CHAT)
    try:
        await patient_who_talked(bot, 1001, "Zebedee Quillfeather", "xylophone", "hedgehog")
        assert len(traces(db, *secret)) >= 4  # before: the search finds every one of them
        await forget(bot, 1001, "Zebedee")
        assert traces(db, *secret) == []  # while the bot runs
        await patient_who_talked(bot, 1002, "Ottoline Fairweather", "bassoon", "armadillo")
        assert traces(db, *secret) == []  # later writes to the log bring nothing back
        assert traces(db, "Ottoline")  # (the same search sees the patient who stays)
    finally:
        await stop_bot(bot)
    assert bot.errors == []
    assert traces(db, *secret) == []  # and after it stopped


async def test_the_retention_purge_leaves_no_trace_either(
    server: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    secret = ("Quenby", "Marchbank", "ocarina", "pangolin")
    bot = await start_bot(server, engine, db, staff_chat_id=STAFF_CHAT)
    try:
        await patient_who_talked(bot, 1011, "Quenby Marchbank", "ocarina", "pangolin")
        assert len(traces(db, *secret)) >= 4
        bot.clock.advance(days=170)
        await patient_who_talked(bot, 1012, "Ottoline Fairweather", "bassoon", "armadillo")
        bot.clock.advance(days=40)  # Quenby was treated 211 days ago (more than 180), Ottoline 41 days ago
        done = await bot.store.run(bot.services.privacy.purge)  # what the daily job does
        assert done["inactive_patients"] == 1
        assert traces(db, *secret) == []  # while the bot runs
        assert traces(db, "bassoon") == []  # question texts go after 30 days, even a patient's who stays
        assert traces(db, "Ottoline Fairweather")  # she is still a patient, and the search sees her
    finally:
        await stop_bot(bot)
    assert bot.errors == []
    assert traces(db, *secret, "bassoon") == []  # and after it stopped


def test_the_search_would_find_a_deleted_row_left_in_a_free_page(tmp_path: Path) -> None:
    """What the tests above guard against: SQLite leaves deleted rows readable unless told otherwise."""
    path = tmp_path / "plain.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA secure_delete=OFF")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("INSERT INTO t VALUES ('Zebedee Quillfeather')")
    conn.execute("DELETE FROM t")
    conn.close()
    assert traces(path, "Quillfeather") == [("plain.db", "Quillfeather")]
