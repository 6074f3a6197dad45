"""Logs never show the bot token (in a URL, on its own, in a traceback), and stay quiet about routine work."""

from __future__ import annotations

import logging

import pytest

from bot.telegram import logsafe

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_-x"


def test_tokens_are_redacted_from_messages_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logsafe.install([])
    log = logging.getLogger("aftercare.test")
    with caplog.at_level(logging.INFO):
        log.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"failed https://api.telegram.org/bot{TOKEN}/sendMessage")
        except RuntimeError:
            log.exception("request failed")
        log.warning("bare token %s", TOKEN)
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    assert "bot<redacted>/getMe" in caplog.text
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


def test_apscheduler_logs_no_line_per_job_run(caplog: pytest.LogCaptureFixture) -> None:
    logsafe.install([])
    with caplog.at_level(logging.INFO):
        logging.getLogger("apscheduler.executors.default").info('Running job "poll" (scheduled at ...)')
        logging.getLogger("apscheduler.scheduler").warning("job missed")
    assert [r.getMessage() for r in caplog.records] == ["job missed"]
