"""`aftercare run` and its signals, in a real subprocess against the fake Bot API: a SIGHUP at any moment of
start-up never kills the bot, and SIGTERM stops it cleanly within 10 seconds (during start-up, while a send
hangs, while updates are queued) without losing anything a patient sent."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage import Store
from bot.telegram.app import Coalesced
from tests.fakebotapi import FakeBotAPI
from tests.running_bot import ROOT, Running


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as srv:
        yield srv


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture
def running(server: FakeBotAPI, db: Path) -> Iterator[Running]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
    environ.update(
        TELEGRAM_BOT_TOKEN=server.token,
        AFTERCARE_API_URL=server.base_url,
        AFTERCARE_DB=str(db),
        PYTHONPATH=str(ROOT),
    )
    bot = Running(environ)
    try:
        yield bot
    finally:
        bot.close()


def started_up(db: Path) -> bool:
    """The bot holds its instance lock: the command is running, long before it polls."""
    return Path(f"{db}.lock").exists()


def test_a_sighup_at_any_moment_of_start_up_does_not_kill_the_bot(
    running: Running, server: FakeBotAPI, db: Path
) -> None:
    running.wait_until(lambda: started_up(db), "instance lock")
    sent = 0
    while not running.said("ready"):  # one every few milliseconds, through the whole start-up
        assert running.proc.poll() is None, f"a SIGHUP ended the bot:\n{running.log}"
        running.proc.send_signal(signal.SIGHUP)
        sent += 1
        time.sleep(0.02)
    assert sent > 5
    running.proc.send_signal(signal.SIGHUP)  # and once it runs: a reload
    running.wait_until(lambda: running.said("knowledge base reloaded"), "reload")
    server.push_text(88, "/start")
    server.wait_for_messages(88, 1, timeout=10)
    assert running.stop() == 0
    assert "Traceback" not in running.log


def test_a_sigterm_during_start_up_stops_cleanly_before_polling(
    running: Running, server: FakeBotAPI, db: Path
) -> None:
    running.wait_until(lambda: started_up(db), "instance lock")
    assert running.stop() == 0
    assert server.calls("getUpdates") == []
    assert "Traceback" not in running.log


def test_sigterm_stops_within_ten_seconds_while_a_send_hangs_and_updates_are_queued(
    running: Running, server: FakeBotAPI, db: Path
) -> None:
    running.wait_until(lambda: running.said("ready"), "ready line")
    server.delay("sendMessage", 60)  # Telegram takes the message and never answers in time
    mark = server.mark()
    pushed = {server.push_text(300 + n, f"is redness normal on day {n % 5}?"): 300 + n for n in range(20)}
    server.wait_for(lambda c: c.method == "sendMessage", since=mark, timeout=10)
    pushed |= {server.push_text(400 + n, "can I wear makeup yet?"): 400 + n for n in range(40)}
    assert running.stop() == 0  # within the limit, though a send hangs and updates wait
    assert "Traceback" not in running.log

    # Nothing a patient sent is lost: every update was handled, waits in the inbox for the next start, or
    # was never confirmed to Telegram (which delivers it again); every handled one's reply went out or waits.
    store = Store.open(db)
    try:
        handled = {u for (u,) in store.call(lambda d: d.execute("SELECT update_id FROM processed_updates"))}
        inbox = {u for (u,) in store.call(lambda d: d.execute("SELECT update_id FROM inbox"))}
        queued = {
            c
            for (c,) in store.call(
                lambda d: d.execute("SELECT chat_id FROM outbox WHERE state IN ('pending', 'sending')")
            )
        }
    finally:
        store.close()
    at_telegram = set(server.pending_update_ids())
    assert set(pushed) <= handled | inbox | at_telegram
    assert handled & set(pushed), "the stop came before anything was handled: the test proves nothing"
    answered = {c.chat_id for c in server.sent_messages()}
    for update_id in handled & set(pushed):
        assert pushed[update_id] in answered | queued, f"the reply to update {update_id} is lost"


async def test_a_burst_of_reload_requests_runs_the_reload_at_most_twice() -> None:
    """Thirty SIGHUPs while a reload runs: that reload finishes, one more follows, nothing piles up for the
    shutdown to wait for."""
    runs = 0
    release = asyncio.Event()

    async def reload() -> None:
        nonlocal runs
        runs += 1
        await release.wait()

    reloads = Coalesced(reload)
    for _ in range(30):
        reloads.request()
        await asyncio.sleep(0)
    release.set()
    while reloads.task is not None and not reloads.task.done():
        await asyncio.sleep(0.01)
    assert runs == 2
    reloads.request()  # a request after the burst runs again
    assert reloads.task is not None
    await reloads.task
    assert runs == 3
