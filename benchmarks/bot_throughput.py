"""60 simulated patients asking questions at the same time, through the real bot and the fake Bot API.

Run: `python benchmarks/bot_throughput.py [PATIENTS] [QUESTIONS_EACH]`. Each patient (enrolled on a random day
0-28) sends a question, waits for the answer, and sends the next one; all patients at once. Latency is from
the moment a message is queued on the fake server until the bot's reply reaches it (long polling, database,
answering, rendering and HTTP included). The bot runs as `aftercare run` in its own process, as deployed.
The fake server does not enforce Telegram's limits, but the bot keeps to them (at most 30 messages in 1.25 s):
the paced load (about 11 messages a second) stays under them and measures the bot's own work; the burst
runs into them, so its throughput is the send limit and its latency the queue behind it.
Targets for the paced load: median < 20 ms, p99 < 100 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.answer import Clinic, Engine  # noqa: E402
from bot.services.knowledge import load_engine, shipped_folder  # noqa: E402
from bot.storage import Store, patients  # noqa: E402
from tests.fakebotapi import FakeBotAPI  # noqa: E402

PATIENTS = 60  # paced, they send about 11 messages a second: under Telegram's limit
QUESTIONS_EACH = 5
THINK_SECONDS = 3.0
READING_SECONDS = 1.5
"""Nobody types the next question within a second and a half of reading an answer; the bot keeps to
Telegram's one message a second per chat, so a quicker next question would measure that rule."""
FIRST_CHAT = 500_000
PROFILE = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []


def single_reply_questions(engine: Engine) -> list[str]:
    """Questions answered with exactly one message (no separate warning-sign message)."""
    procedure = engine.procedure("microneedling")
    found = []
    for entry in procedure.entries:
        for question in entry.examples:
            if engine.answer(question, procedure.id, 3).safety is None:
                found.append(question)
    return found


class Replies:
    """Watches the fake server's request log and wakes the patient a reply was sent to."""

    def __init__(self, server: FakeBotAPI) -> None:
        self.server = server
        self.seen = 0
        self.arrived: dict[int, list[float]] = defaultdict(list)
        self.events: dict[int, asyncio.Event] = defaultdict(asyncio.Event)

    async def watch(self) -> None:
        while True:
            with self.server._lock:  # the fake's own lock: read new requests only
                fresh = self.server.requests[self.seen :]
                self.seen += len(fresh)
            for call in fresh:
                if call.method == "sendMessage" and isinstance(call.chat_id, int):
                    while call.status == 0:  # answered a moment after it was recorded
                        await asyncio.sleep(0)
                    self.arrived[call.chat_id].append(call.time)
                    self.events[call.chat_id].set()
            await asyncio.sleep(0.001)


async def patient(
    server: FakeBotAPI, replies: Replies, chat_id: int, questions: list[str], think: float, rng: random.Random
) -> list[float]:
    """Send each question after a pause (uniform 1.5 to 2 x `think` seconds) and wait for its reply."""
    latencies = []
    done = len(replies.arrived[chat_id])
    for n, question in enumerate(questions, start=done + 1):
        if think:
            await asyncio.sleep(rng.uniform(READING_SECONDS, max(READING_SECONDS, 2 * think)))
        event = replies.events[chat_id]
        event.clear()
        sent = time.monotonic()
        server.push_text(chat_id, question)
        while len(replies.arrived[chat_id]) < n:
            await asyncio.wait_for(event.wait(), timeout=60)
            event.clear()
        latencies.append(replies.arrived[chat_id][n - 1] - sent)
    return latencies


async def phase(
    server: FakeBotAPI, replies: Replies, count: int, each: int, think: float, pool: list[str], seed: int
) -> tuple[list[float], float]:
    """Every patient at once; returns the reply latencies (ms) and the elapsed seconds."""
    rng = random.Random(seed)
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            patient(server, replies, FIRST_CHAT + i, [rng.choice(pool) for _ in range(each)], think, rng)
            for i in range(count)
        )
    )
    elapsed = time.perf_counter() - started
    return sorted(seconds * 1000 for found in results for seconds in found), elapsed


def report(name: str, latencies: list[float], elapsed: float) -> tuple[float, float]:
    """Print one phase's figures; returns (median, p99) in ms."""
    median = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{name}: {len(latencies)} messages in {elapsed:.1f} s = {len(latencies) / elapsed:.0f} messages/s")
    print(f"  reply latency: median {median:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms")
    return median, p99


def start_bot(server: FakeBotAPI, db: Path) -> subprocess.Popen[str]:
    """`aftercare run` in its own process (as deployed), pointed at the fake server; waits until ready."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
    environ.update(
        TELEGRAM_BOT_TOKEN=server.token,
        AFTERCARE_API_URL=server.base_url,
        AFTERCARE_DB=str(db),
        AFTERCARE_LINK_SECRET="bench",
        PYTHONPATH=str(ROOT),
    )
    proc = subprocess.Popen(
        [sys.executable, *PROFILE, "-m", "bot.cli", "run"],
        env=environ,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "ready" in line:
            break
    else:
        raise RuntimeError("the bot did not start")
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining its log
    return proc


PROCEDURE = "microneedling"
NOW = datetime.now(UTC)


def enroll(db: Path, count: int, rng: random.Random) -> None:
    """`count` patients, treated 0 to 28 days ago."""
    store = Store.open(db, create=True)
    today = date.today()
    for i in range(count):
        treated = today - timedelta(days=rng.randint(0, 28))
        chat = FIRST_CHAT + i
        store.call(patients.enroll, chat, chat, None, "UTC", PROCEDURE, treated, NOW)
    store.close()


async def main(count: int, each: int, think: float) -> int:
    """Run the load and print the figures; exit code 1 when the targets are missed."""
    sys.setswitchinterval(0.0005)  # the fake server's threads share this process with the load generator
    engine = load_engine(shipped_folder(), Clinic())
    pool = single_reply_questions(engine)
    rng = random.Random(7)
    with FakeBotAPI() as server, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        enroll(db, count, rng)
        bot = start_bot(server, db)
        try:
            replies = Replies(server)
            watcher = asyncio.create_task(replies.watch())
            paced = await phase(server, replies, count, each, think, pool, 1)
            burst = await phase(server, replies, count, each, 0.0, pool, 2)
            watcher.cancel()
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=30)
    print(f"{count} patients, {each} questions each, the bot in its own process")
    pause = f"{READING_SECONDS:g}-{max(READING_SECONDS, 2 * think):g} s"
    median, p99 = report(f"paced (each patient pauses {pause} between questions)", *paced)
    report("burst (no pauses: every patient waits only for the previous answer)", *burst)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"  bot CPU: {cpu.ru_utime + cpu.ru_stime:.1f} s for {len(paced[0]) + len(burst[0])} messages")
    met = median < 20 and p99 < 100
    print(f"target for the paced load (median < 20 ms, p99 < 100 ms): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    given = sys.argv[1:4]
    defaults = [PATIENTS, QUESTIONS_EACH, THINK_SECONDS]
    values = [type(d)(a) for d, a in zip(defaults, given, strict=False)] + defaults[len(given) :]
    sys.exit(asyncio.run(main(int(values[0]), int(values[1]), float(values[2]))))
