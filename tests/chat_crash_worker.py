"""The whole bot as a separate process for the chat crash test:
`python chat_crash_worker.py DB URL TOKEN NOW`.

It builds the real Application (`bot.telegram.app.build`, long polling, the inbox, the sender) as
`aftercare run` does, holding the database's instance lock, but with a clock standing still at NOW (an ISO
time) and a fast rate limiter. It prints "ready" once the bot runs and stops cleanly on SIGTERM. The crash
test kills it with SIGKILL at random moments and starts it again. Log records of level WARNING and above go
to stderr, which the test reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Config
from bot.services import Services
from bot.services.knowledge import Knowledge
from bot.storage import Store
from bot.storage.lock import InstanceLock
from bot.telegram import logsafe
from bot.telegram.app import build, serve
from bot.telegram.ratelimit import RateLimiter
from tests.checkin_support import shipped_engine
from tests.conftest import KNOWLEDGE, TEST_CLINIC, FakeClock

BOT_USERNAME = "AftercareTestBot"
LINK_SECRET = "test-secret-for-links"


def config_for(db: Path, base_url: str, token: str) -> Config:
    """The worker's settings: the fake server, the test clinic, no quiet hours in the way."""
    return Config.defaults(
        token=token,
        api_url=base_url,
        db_path=db,
        clinic_name=TEST_CLINIC.name,
        clinic_phone=TEST_CLINIC.phone,
        emergency_number=TEST_CLINIC.emergency_number,
        bot_username=BOT_USERNAME,
        link_secret=LINK_SECRET,
        knowledge_dir=KNOWLEDGE,
    )


async def main(db: Path, base_url: str, token: str, now: datetime) -> None:
    config = config_for(db, base_url, token)
    logsafe.install([token])
    with InstanceLock(config.lock_path):
        store = Store.open(db, create=True)
        engine = shipped_engine()
        knowledge = Knowledge(KNOWLEDGE, engine.clinic, engine)
        services = Services.create(store, knowledge, config, LINK_SECRET.encode(), FakeClock(now))
        limiter = RateLimiter(overall=500, margin=0.02, per_chat_interval=0.02, chat_margin=0.0)
        built = build(config, services, limiter)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        task = asyncio.create_task(serve(built, stop, poll_timeout=1))
        while not built.application.running:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        print("ready", flush=True)
        await task
        store.close()


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.setswitchinterval(0.0005)  # as `aftercare run` does
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], datetime.fromisoformat(sys.argv[4])))
