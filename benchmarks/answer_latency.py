"""Per-question answer latency: median and p99, at the shipped size and at 50x the entries.

Run: `python benchmarks/answer_latency.py [QUESTIONS.yaml]`. The questions default to the project's shared
development set when it sits beside the checkout, else to the knowledge base's own examples.
Targets: at 1x the median at or under 0.5 ms; at 50x the p99 under 2 ms (the index keeps the work per
question bounded as the knowledge base grows).
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from pathlib import Path

import yaml

from bot.core.answer import Engine
from bot.core.model import KnowledgeBase, Procedure
from bot.services.knowledge import load_engine, shipped_folder

ROUNDS = 5
SCALE = 50


def questions(argv: list[str], engine: Engine) -> tuple[str, list[tuple[str, int | None]]]:
    """The question set to time, and where it came from."""
    candidates = [Path(argv[1])] if len(argv) > 1 else []
    here = Path(__file__).resolve()
    candidates += [parent / "shared" / "spec" / "dev-questions.yaml" for parent in here.parents[1:4]]
    for path in candidates:
        if path.is_file():
            items = yaml.safe_load(path.read_text(encoding="utf-8"))
            return str(path), [(item["q"], item.get("day")) for item in items]
    procedure = engine.procedure("microneedling")
    return "knowledge-base examples", [(q, 3) for e in procedure.entries for q in e.examples]


def scaled(kb: KnowledgeBase, factor: int) -> KnowledgeBase:
    """A knowledge base with `factor` times the entries: renamed copies with copy-specific keywords."""
    procedures = {}
    for pid, procedure in kb.procedures.items():
        entries = list(procedure.entries)
        for copy in range(1, factor):
            tag = f"variant{copy}"
            for entry in procedure.entries:
                entries.append(
                    dataclasses.replace(
                        entry,
                        id=f"{entry.id}_{copy}",
                        keywords=tuple(f"{k} {tag}" for k in entry.keywords),
                        examples=tuple(f"{q} {tag}" for q in entry.examples),
                    )
                )
        procedures[pid] = Procedure(**{**procedure.__dict__, "entries": tuple(entries)})
    return KnowledgeBase(procedures=procedures, messages=kb.messages)


def measure(engine: Engine, items: list[tuple[str, int | None]]) -> tuple[float, float]:
    """Median and p99 latency in milliseconds over ROUNDS passes (after one warm-up pass)."""
    for question, day in items:
        engine.answer(question, "microneedling", day=day)
    timings = []
    for _ in range(ROUNDS):
        for question, day in items:
            started = time.perf_counter()
            engine.answer(question, "microneedling", day=day)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


def main(argv: list[str]) -> int:
    """Print the figures."""
    engine = load_engine(shipped_folder())
    source, items = questions(argv, engine)
    entries = len(engine.procedure("microneedling").entries)
    print(f"questions: {len(items)} from {source}; {ROUNDS} rounds")
    median, p99 = measure(engine, items)
    print(f"1x  ({entries} entries): median {median:.3f} ms, p99 {p99:.3f} ms  (target: median <= 0.5 ms)")
    big = Engine(scaled(engine.kb, SCALE), engine.clinic)
    median, p99 = measure(big, items)
    size = f"{SCALE}x ({entries * SCALE} entries)"
    print(f"{size}: median {median:.3f} ms, p99 {p99:.3f} ms  (target: p99 < 2 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
