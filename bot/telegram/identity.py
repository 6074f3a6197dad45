"""Asking the Bot API who the bot is (for enrollment links made without AFTERCARE_BOT_USERNAME)."""

from __future__ import annotations

import asyncio

from telegram import Bot

from bot.telegram.app import file_url


def fetch_username(token: str, api_url: str) -> str:
    """The bot's @username from getMe."""

    async def ask() -> str:
        async with Bot(token, base_url=api_url, base_file_url=file_url(api_url)) as bot:
            return bot.username

    return asyncio.run(ask())
