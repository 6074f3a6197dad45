"""Aggregate quality on the project's own labelled sets, held to the figures of the README's table (see
`tests/quality_table.py`), and leave-one-out over the knowledge base's own examples (the data the matcher's
threshold is calibrated on). A single question may move; no figure may get worse than the README says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.answer import Engine
from bot.core.matcher import DEFAULT_THRESHOLD
from bot.services.evaluation import leave_one_out
from tests.quality_table import ROOT, Claim, claims, measure, tier_of

CLAIMS = claims()
SLACK = 0.05  # the README rounds to one decimal


def test_the_readme_claims_every_labelled_set() -> None:
    """Every set in tests/data has its row, so a new set cannot go unmeasured."""
    claimed = {c.path for c in CLAIMS}
    on_disk = {f"tests/data/{p.name}" for p in (ROOT / "tests" / "data").glob("*.yaml")}
    assert claimed == on_disk
    assert all(c.right is not None or c.caught is not None for c in CLAIMS)


@pytest.mark.parametrize("claim", CLAIMS, ids=[f"{Path(c.path).stem}" for c in CLAIMS])
def test_quality_is_what_the_readme_says(engine: Engine, claim: Claim) -> None:
    for procedure in claim.procedures:
        report = measure(engine, claim.path, procedure)
        if claim.right is not None and claim.wrong is not None:
            assert report.accuracy >= claim.right - SLACK, (procedure, report.misses)
            assert report.confidently_wrong_pct <= claim.wrong + SLACK, (procedure, report.misses)
            assert report.verdicts_wrong == 0, (
                procedure,
                report.misses,
            )  # asking back is fine, a wrong day not
        if claim.caught is not None and claim.tier is not None and claim.alarms is not None:
            assert (report.escalated, report.urgent) >= claim.caught and report.urgent == claim.caught[1], (
                procedure,
                report.misses,
            )
            tier = tier_of(report)
            assert tier[0] >= claim.tier[0] and tier[1] == claim.tier[1], (procedure, report.misses)
            assert report.false_alarms <= claim.alarms[0], (procedure, report.misses)
            assert report.not_urgent == claim.alarms[1], procedure


def test_leave_one_out_calibration(engine: Engine) -> None:
    """Each example asked of a matcher built without it: the default threshold keeps wrong answers rare."""
    calibration = leave_one_out(engine.kb, "microneedling", thresholds=(DEFAULT_THRESHOLD,))
    [(_, right, wrong, abstained)] = calibration.by_threshold
    total = right + wrong + abstained
    assert total == calibration.examples >= 500
    assert 100 * right / total >= 88.0
    assert 100 * wrong / total <= 3.2
