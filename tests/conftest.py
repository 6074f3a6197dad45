"""Shared fixtures: the shipped knowledge base and an engine over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.answer import Clinic, Engine
from bot.knowledge_source import load_engine
from tests.fakebotapi import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The engine over the shipped knowledge base, with a clinic that has a name and numbers."""
    return load_engine(
        KNOWLEDGE, Clinic(name="Glow Clinic", phone="+44 20 7946 0000", emergency_number="999")
    )


@pytest.fixture(autouse=True)
def _bot_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never depend on the developer's shell: PTB durations as timedelta, default check-in settings."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    monkeypatch.delenv("AFTERCARE_CHECKIN_TIME", raising=False)
    monkeypatch.delenv("AFTERCARE_QUIET_HOURS", raising=False)


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    """A fake Bot API server on 127.0.0.1 for one test (modules may override it with a wider scope)."""
    with FakeBotAPI() as srv:
        yield srv
