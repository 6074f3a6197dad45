"""Crash test: 1,000 due check-ins, the dispatching process killed with SIGKILL at random moments (one
seed per kill) and restarted each time. Nothing is lost, a message is duplicated only if its row was
`sending` at a kill, and SQLite's integrity check passes after every kill."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.storage import Store, outbox
from bot.storage.outbox import Kind, NewRow
from tests.fakebotapi import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "checkin_crash_worker.py"
ROWS = 1000
KILLS = 24
NOW = datetime(2026, 6, 4, 9, 1, tzinfo=UTC)
FIRST_CHAT = 500_000


def seed_database(path: Path) -> None:
    store = Store.open(path, create=True)

    def fill(db: object) -> None:
        conn = store.db.conn
        conn.execute("BEGIN")
        for i in range(ROWS):
            patient = conn.execute(
                "INSERT INTO patients (chat_id, user_id, timezone, created_at) VALUES (?, ?, 'UTC', ?)",
                (FIRST_CHAT + i, FIRST_CHAT + i, "2026-06-01T12:00:00+00:00"),
            ).lastrowid
            conn.execute(
                "INSERT INTO treatments (patient_id, procedure, treated_on, created_at) VALUES (?, ?, ?, ?)",
                (patient, "microneedling", date(2026, 6, 1).isoformat(), "2026-06-01T12:00:00+00:00"),
            )
        conn.execute("COMMIT")

    store.call(fill)
    rows = [
        NewRow(
            kind=Kind.CHECKIN,
            dedupe_key=f"treatment:{i + 1}:day:3",
            chat_id=FIRST_CHAT + i,
            due_at=NOW - timedelta(minutes=1),
            expires_at=NOW + timedelta(hours=23),
            treatment_id=i + 1,
            patient_id=i + 1,
            step_day=3,
        )
        for i in range(ROWS)
    ]
    assert store.call(outbox.insert_rows, rows, NOW) == ROWS
    store.close()


def start_worker(db: Path, server: FakeBotAPI) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PTB_TIMEDELTA": "true"}
    args = [sys.executable, str(WORKER), str(db), server.base_url, server.token, NOW.isoformat()]
    worker = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    return worker


def delivered(server: FakeBotAPI) -> int:
    return sum(1 for c in server.calls("sendMessage") if c.ok)


def inspect(db: Path) -> tuple[str, set[int], dict[str, int]]:
    conn = sqlite3.connect(db)
    try:
        [integrity] = conn.execute("PRAGMA integrity_check").fetchone()
        sending = {
            int(chat) for (chat,) in conn.execute("SELECT chat_id FROM outbox WHERE state = 'sending'")
        }
        states = dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
        return str(integrity), sending, {str(k): int(v) for k, v in states.items()}
    finally:
        conn.close()


def test_sigkill_during_dispatch_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    seed_database(db)
    sending_at_kill: Counter[int] = Counter()
    kills = 0
    with FakeBotAPI() as server:
        for seed in range(KILLS):
            rng = random.Random(seed)
            before = delivered(server)
            worker = start_worker(db, server)
            target = rng.randint(0, 60)  # kill after this many new deliveries (0: right away)
            deadline = time.monotonic() + 20
            while delivered(server) - before < target and worker.poll() is None:
                assert time.monotonic() < deadline, "the worker stopped sending"
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.01))
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
                kills += 1
            worker.wait(timeout=10)
            assert worker.stdout is not None
            worker.stdout.close()
            integrity, sending, _ = inspect(db)
            assert integrity == "ok", f"seed {seed}: {integrity}"
            sending_at_kill.update(sending)
        final = start_worker(db, server)
        assert final.wait(timeout=60) == 0
        assert final.stdout is not None
        final.stdout.close()

        integrity, sending, states = inspect(db)
        assert integrity == "ok" and sending == set()
        assert states == {"sent": ROWS}
        per_chat = Counter(c.chat_id for c in server.calls("sendMessage") if c.ok)
    assert kills >= 20
    assert sum(sending_at_kill.values()) >= kills // 2  # the kills did land in the middle of sending
    assert set(per_chat) == set(range(FIRST_CHAT, FIRST_CHAT + ROWS))  # 0 lost
    for chat, count in per_chat.items():
        assert count <= 1 + sending_at_kill[chat], f"chat {chat} got {count} messages"
