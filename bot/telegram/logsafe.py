"""Logging that never shows the bot token: every record is redacted as it is created, for every handler."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable
from typing import Any

TOKEN_IN_URL = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
TOKEN_ANYWHERE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")
MASK = "bot<redacted>"

_secrets: list[str] = []
_installed = False


def redact(text: str) -> str:
    """`text` without any bot token (in a URL or on its own) or registered secret."""
    text = TOKEN_IN_URL.sub(MASK, text)
    text = TOKEN_ANYWHERE.sub("<redacted>", text)
    for secret in _secrets:
        text = text.replace(secret, "<redacted>")
    return text


def _redacted_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep it as it is rather than lose the record
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install(secrets: Iterable[str] = ()) -> None:
    """Redact tokens (and `secrets`) from every log record from now on; quiet `httpx`'s URL logging and
    APScheduler's line per job run."""
    global _installed
    _secrets.extend(s for s in secrets if s and s not in _secrets)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job run, every second
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redacted_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
