"""Several processes opening the same database at once (a bot starting while the front desk runs `aftercare
enroll`, two commands racing on a brand-new file) never fail: no "database is locked", no "table already
exists", every write lands."""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from multiprocessing.context import SpawnContext
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from bot.storage import Database, Store, settings, transaction

PROCESSES = 4
ROUNDS = 10
OPENS_PER_PROCESS = 10
TIMEOUT = 60.0


def _open_and_write(path: Path, worker: int, n: int) -> None:
    store = Store.open(path, create=True)
    try:

        def write(db: Database) -> None:
            with transaction(db):
                settings.put(db, f"worker-{worker}-{n}", str(n))

        store.call(write)
    finally:
        store.close()


def _new_files(folder: str, worker: int, start: Barrier, results: Any) -> None:
    """Each round, all workers open the same brand-new file at the same moment and write to it."""
    for round_ in range(ROUNDS):
        start.wait(TIMEOUT)
        try:
            _open_and_write(Path(folder) / f"round-{round_}.db", worker, round_)
            results.put(("ok", worker, round_))
        except BaseException:
            results.put((traceback.format_exc(), worker, round_))


def _existing_file(path: str, worker: int, start: Barrier, results: Any) -> None:
    """All workers open the same existing database again and again, each time writing to it."""
    start.wait(TIMEOUT)
    for n in range(OPENS_PER_PROCESS):
        try:
            _open_and_write(Path(path), worker, n)
            results.put(("ok", worker, n))
        except BaseException:
            results.put((traceback.format_exc(), worker, n))


def _race(ctx: SpawnContext, target: Callable[..., None], where: str, expected: int) -> list[str]:
    start = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=target, args=(where, worker, start, results)) for worker in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=TIMEOUT) for _ in range(expected)]
    for process in workers:
        process.join(TIMEOUT)
        assert process.exitcode == 0
    return [outcome for outcome, _, _ in outcomes if outcome != "ok"]


def _keys(path: Path) -> set[str]:
    store = Store.open(path)
    try:
        rows = store.call(lambda db: db.execute("SELECT key FROM settings").fetchall())
    finally:
        store.close()
    return {str(key) for (key,) in rows if str(key).startswith("worker-")}


def test_several_processes_creating_one_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    failures = _race(ctx, _new_files, str(tmp_path), PROCESSES * ROUNDS)
    assert failures == []
    for round_ in range(ROUNDS):
        path = tmp_path / f"round-{round_}.db"
        assert _keys(path) == {f"worker-{w}-{round_}" for w in range(PROCESSES)}
        assert (path.stat().st_mode & 0o777) == 0o600


def test_several_processes_opening_an_existing_database_again_and_again_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "clinic.db"
    Store.open(path, create=True).close()
    ctx = multiprocessing.get_context("spawn")
    failures = _race(ctx, _existing_file, str(path), PROCESSES * OPENS_PER_PROCESS)
    assert failures == []
    assert _keys(path) == {f"worker-{w}-{n}" for w in range(PROCESSES) for n in range(OPENS_PER_PROCESS)}
