"""Shared fixtures and helpers: the shipped knowledge base, an engine over it, a clock tests control, the
fake Bot API server, and a test environment that never depends on the developer's shell."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from bot.config import Config
from bot.core.answer import Clinic, Engine
from bot.services import Services
from bot.services.knowledge import Knowledge, load_engine
from bot.storage import Store
from tests.fakebotapi import FakeBotAPI

if TYPE_CHECKING:
    from tests.bot_support import Bot

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TEST_CLINIC = Clinic(name="Glow Clinic", phone="+44 20 7946 0000", emergency_number="999")


@dataclass
class FakeClock:
    """A clock that stands still until the test moves it (always UTC-aware)."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward by `timedelta(**delta)`."""
        self.now += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        """Jump to `moment`."""
        self.now = moment.astimezone(UTC)

    def today(self) -> date:
        """Today in UTC."""
        return self.now.date()


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The engine over the shipped knowledge base, with a clinic that has a name and numbers."""
    return load_engine(KNOWLEDGE, TEST_CLINIC)


@pytest.fixture(autouse=True)
def _bot_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never depend on the developer's shell: PTB durations as timedelta, no aftercare settings, and
    an empty working folder (the checkout has a knowledge/ folder, so it would count as a clinic folder)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    import os

    for name in list(os.environ):
        if name.startswith("AFTERCARE_") or name == "TELEGRAM_BOT_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    """A fake Bot API server on 127.0.0.1 for one test (modules may override it with a wider scope)."""
    with FakeBotAPI() as srv:
        yield srv


@pytest_asyncio.fixture
async def bot(server: FakeBotAPI, engine: Engine, tmp_path: Path) -> AsyncIterator[Bot]:
    """The whole bot (the real Application) polling the fake Bot API on a fresh database; the test fails
    when any update raised. A module may give `server` a wider scope."""
    from tests.bot_support import start_bot, stop_bot  # bot_support imports this module

    running = await start_bot(server, engine, tmp_path / "bot.db")
    try:
        yield running
    finally:
        await stop_bot(running)
    assert running.errors == []


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A new database in a temporary folder."""
    opened = Store.open(tmp_path / "clinic.db", create=True)
    yield opened
    opened.close()


def make_services(store: Store, engine: Engine, clock: FakeClock | None = None, **config: object) -> Services:
    """The use cases over `store` and the shipped knowledge, with the test clinic and `config` changes."""
    settings = Config.defaults(
        clinic_name=TEST_CLINIC.name,
        clinic_phone=TEST_CLINIC.phone,
        emergency_number=TEST_CLINIC.emergency_number,
        **config,
    )
    return Services.create(
        store, Knowledge(KNOWLEDGE, engine.clinic, engine), settings, b"s3cret", clock or FakeClock()
    )


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge base."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    return folder


@pytest.fixture
def single_procedure(tmp_path: Path) -> Path:
    """The knowledge folder of a clinic that offers one procedure only (microneedling)."""
    folder = tmp_path / "one-procedure"
    folder.mkdir()
    for name in ("messages.yaml", "language.yaml", "microneedling.yaml"):
        shutil.copy(KNOWLEDGE / name, folder / name)
    return folder
