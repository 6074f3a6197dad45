"""The README's table of answer quality: which labelled set is measured for which procedures, how a row reads,
and how its figures are measured. `tests/test_quality.py` holds the engine to every row; run
`python -m tests.quality_table` to print the rows as they measure today (to paste into the README after a
change that makes them better).

A row: | `tests/data/SET.yaml` | PROCEDURES | RIGHT% | WRONG% | CAUGHT/URGENT | TIER/WANTED | ALARMS/CALM |
Question sets fill the two percentages; warning-sign and crisis sets fill the last three (the tier column
counts emergencies in the emergency tier, or crises in the crisis tier). With several procedures the row
holds for each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.answer import Engine
from bot.services.evaluation import Report, evaluate, parse_items
from tests.checkin_support import shipped_engine

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ROW = re.compile(r"^\| `(tests/data/[^`]+\.yaml)` \| ([a-z_, ]+) \|(.*)\|\s*$")
FRACTION = re.compile(r"^(\d+)/(\d+)$")
PERCENT = re.compile(r"^(\d+(?:\.\d)?)%$")


@dataclass(frozen=True)
class Claim:
    """What one README row claims about one set."""

    path: str
    procedures: tuple[str, ...]
    right: float | None
    wrong: float | None
    caught: tuple[int, int] | None
    tier: tuple[int, int] | None
    alarms: tuple[int, int] | None


def _percent(cell: str) -> float | None:
    found = PERCENT.match(cell)
    return float(found.group(1)) if found else None


def _fraction(cell: str) -> tuple[int, int] | None:
    found = FRACTION.match(cell)
    return (int(found.group(1)), int(found.group(2))) if found else None


def claims(readme: Path = README) -> list[Claim]:
    """Every quality row of the README, in order."""
    found = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        row = ROW.match(line)
        if row is None:
            continue
        cells = [c.strip() for c in row.group(3).split("|")]
        if len(cells) != 5:
            raise ValueError(f"README.md: a quality row needs 7 cells: {line}")
        procedures = tuple(p.strip() for p in row.group(2).split(","))
        right, wrong = _percent(cells[0]), _percent(cells[1])
        caught, tier, alarms = (_fraction(c) for c in cells[2:])
        found.append(Claim(row.group(1), procedures, right, wrong, caught, tier, alarms))
    return found


def measure(engine: Engine, path: str, procedure: str) -> Report:
    """The evaluation report of one set for one procedure."""
    items = parse_items(yaml.safe_load((ROOT / path).read_text(encoding="utf-8")))
    report, _ = evaluate(engine, procedure, items)
    return report


def tier_of(report: Report) -> tuple[int, int]:
    """Crises in the crisis tier for a crisis set, else emergencies in the emergency tier."""
    return (
        (report.crisis_tier, report.crises) if report.crises else (report.emergency_tier, report.emergencies)
    )


def row(path: str, procedures: tuple[str, ...], reports: list[Report]) -> str:
    """The README row for `path`, reporting the worst figure over `procedures`."""
    cells = ["", "", "", "", ""]
    if any(r.labelled for r in reports):
        cells[0] = f"{min(r.accuracy for r in reports):.1f}%"
        cells[1] = f"{max(r.confidently_wrong_pct for r in reports):.1f}%"
    if any(r.urgent for r in reports):
        worst = min(reports, key=lambda r: r.escalated)
        cells[2] = f"{worst.escalated}/{worst.urgent}"
        tiers = [tier_of(r) for r in reports]
        cells[3] = "{}/{}".format(*min(tiers))
        noisy = max(reports, key=lambda r: r.false_alarms)
        cells[4] = f"{noisy.false_alarms}/{noisy.not_urgent}"
    return f"| `{path}` | {', '.join(procedures)} | " + " | ".join(cells) + " |"


def main() -> None:
    engine = shipped_engine()
    for claim in claims():
        reports = [measure(engine, claim.path, p) for p in claim.procedures]
        print(row(claim.path, claim.procedures, reports))


if __name__ == "__main__":
    main()
