"""The bot's dispatcher as a separate process for the crash test: `python checkin_crash_worker.py DB URL
TOKEN NOW`.

It prints "ready" once connected, dispatches everything due at NOW (an ISO time) and exits. The crash test
kills it with SIGKILL at random moments and starts it again.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

from telegram import Bot
from telegram.request import HTTPXRequest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.services.dispatch import DispatchPolicy
from bot.storage import Store
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.sender import TelegramSender
from tests.checkin_support import shipped_engine
from tests.conftest import FakeClock, make_services


async def main(db: str, base_url: str, token: str, now: datetime) -> None:
    store = Store.open(db)
    services = make_services(store, shipped_engine(), FakeClock(now), quiet_hours=None)
    async with Bot(token, base_url=base_url, request=HTTPXRequest(connection_pool_size=16)) as bot:
        limiter = RateLimiter(overall=100_000, per_chat_interval=1.0, margin=0.0)
        dispatcher = services.dispatcher(
            TelegramSender(bot, limiter), DispatchPolicy(concurrency=8, batch=16)
        )
        print("ready", flush=True)
        await dispatcher.run_once()
    store.close()


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], datetime.fromisoformat(sys.argv[4])))
