"""Shared fixtures: the shipped knowledge base and an engine over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.answer import Clinic, Engine
from bot.knowledge_source import load_engine

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The engine over the shipped knowledge base, with a clinic that has a name and numbers."""
    return load_engine(
        KNOWLEDGE, Clinic(name="Glow Clinic", phone="+44 20 7946 0000", emergency_number="999")
    )
