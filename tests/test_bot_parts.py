"""The bot's parts on their own: signed links, typed dates, configuration, storage, log redaction, locks."""

from __future__ import annotations

import dataclasses
import inspect
import io
import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import logsafe
from bot.bootstrap import open_services
from bot.config import Config, ConfigError, load_config
from bot.core.answer import Clinic, Engine
from bot.core.dates import parse_date
from bot.core.invite_token import sign, verify
from bot.instance_lock import AlreadyRunning, InstanceLock
from bot.services.views import DateStatus, PatientView
from bot.storage import Store, patients, questions, settings, updates
from bot.telegram.render import Renderer, callback, parse_callback, split
from tests.bot_support import FakeClock

SECRET = b"s3cret"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]  # fmt: skip
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_-x"


# --- signed links -------------------------------------------------------------------------------------------


def test_payload_round_trip_and_shape() -> None:
    payload = sign(42, 1_800_000_000, SECRET)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
    claims = verify(payload, SECRET)
    assert claims is not None and (claims.invite_id, claims.expires_at) == (42, 1_800_000_000)


def test_payload_from_another_secret_is_refused() -> None:
    assert verify(sign(42, 1_800_000_000, b"other"), SECRET) is None


@given(st.integers(min_value=0, max_value=31), st.sampled_from("ABCabc019_-"))
def test_any_changed_character_is_refused(position: int, char: str) -> None:
    payload = sign(7, 1_800_000_000, SECRET)
    changed = payload[:position] + char + payload[position + 1 :]
    if changed != payload:
        assert verify(changed, SECRET) is None


@pytest.mark.parametrize("payload", ["", "x", "a" * 65, "abc=def", "ünïcode", "A" * 32, "hello world"])
def test_malformed_payloads_are_refused(payload: str) -> None:
    assert verify(payload, SECRET) is None


# --- typed dates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("20/11/2026", date(2026, 11, 20)),
        ("20.11.26", date(2026, 11, 20)),
        ("20/11", date(2026, 11, 20)),
        ("20 November", date(2026, 11, 20)),
        ("20th nov", date(2026, 11, 20)),
        ("Nov 20", date(2026, 11, 20)),
        ("25 December", date(2025, 12, 25)),  # without a year: the most recent one
        ("31/02/2026", None),
        ("last tuesday", None),
        ("20 Smarch", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text, date(2026, 11, 23), MONTHS) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("24 November", date(2026, 11, 23), date(2026, 11, 24)),  # tomorrow, not last year's (day 364)
        ("30/11", date(2026, 11, 23), date(2026, 11, 30)),
        ("2 January", date(2026, 12, 30), date(2027, 1, 2)),  # across the new year
        ("1 December", date(2026, 11, 23), date(2025, 12, 1)),  # further ahead: last year's, as before
    ],
)
def test_a_yearless_date_a_few_days_ahead_is_in_the_future(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today, MONTHS) == expected


def test_a_yearless_date_tomorrow_is_refused_as_future(store: Store, engine: Engine) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 12, tzinfo=UTC))
    services = open_services(Config(token=TOKEN, link_secret="s"), store, engine, clock)
    assert services.enrollment.read_date("24 November").status is DateStatus.FUTURE


# --- configuration ------------------------------------------------------------------------------------------


def test_config_reads_the_environment() -> None:
    config = load_config(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "AFTERCARE_TIMEZONE": "Europe/London",
            "AFTERCARE_TIMEZONES": "Europe/Paris, Europe/London",
            "AFTERCARE_CLINIC_NAME": "Glow",
            "AFTERCARE_BOT_USERNAME": "@GlowBot",
            "AFTERCARE_STAFF_CHAT_ID": "-100123",
        },
        overrides={"AFTERCARE_DB": "/tmp/x.db"},
    )
    assert config.timezones == ("Europe/London", "Europe/Paris")
    assert config.bot_username == "GlowBot" and config.clinic.name == "Glow"
    assert config.db_path == Path("/tmp/x.db") and config.staff_chat_id == -100123
    assert config.api_url == "https://api.telegram.org/bot"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "nonsense"}, "malformed"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_TIMEZONE": "Mars/Olympus"}, "unknown time zone"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_STAFF_CHAT_ID": "abc"}, "whole number"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_API_URL": "api.telegram.org"}, "not an http"),
        # 0 is refused, not silently replaced by the default (14 days, 15 minutes)
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_INVITE_DAYS": "0"},
            "AFTERCARE_INVITE_DAYS must be between",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "AFTERCARE_ALERT_REPEAT_MINUTES": "0"},
            "REPEAT_MINUTES must be between",
        ),
    ],
)
def test_config_errors_are_one_line(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(environ)
    assert "\n" not in str(info.value) and TOKEN not in str(info.value)


# --- storage ------------------------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "a.db")
    yield opened
    opened.close()


def test_update_ids_are_claimed_once(store: Store) -> None:
    assert store.call(updates.claim, 5, "2026-11-23T00:00:00+00:00")
    assert not store.call(updates.claim, 5, "2026-11-23T00:00:01+00:00")
    assert store.call(updates.purge, "2026-11-24T00:00:00+00:00") == 1


def test_link_secret_is_generated_once(store: Store) -> None:
    first = store.call(settings.link_secret)
    assert len(first) == 64 and store.call(settings.link_secret) == first


def test_question_texts_expire(store: Store) -> None:
    now = "2026-11-23T12:00:00+00:00"
    patient, _ = store.call(patients.enroll, 1, 1, None, "UTC", "microneedling", date(2026, 11, 20), now)
    store.call(
        questions.record, patient.id, "2026-10-01T00:00:00+00:00", "microneedling", 1, None, 0.1, None, "old"
    )
    store.call(questions.record, patient.id, now, "microneedling", 3, None, 0.1, None, "new")
    assert store.call(questions.purge, "2026-10-24T12:00:00+00:00", "2025-11-23T12:00:00+00:00") == (1, 0)
    assert [t for _, _, t in store.call(questions.unanswered)] == ["new"]


def test_purge_applies_the_retention_limits(store: Store, engine: Engine) -> None:
    clock = FakeClock()
    config = Config(token=TOKEN, link_secret="x")
    services = open_services(config, store, engine, clock)
    invitation = store.call(
        services.enrollment.create_invite, "Bot", "microneedling", clock.today(), "UTC", "Ann"
    )
    clock.advance(days=15)
    done = store.call(services.privacy.purge)
    assert done["expired_invites"] == 1
    assert store.call(lambda db: db.execute("SELECT COUNT(*) FROM invites").fetchone()) == (0,)
    assert invitation.invite_id > 0


def test_dates_are_checked_in_the_clinic_zone(store: Store, engine: Engine) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    services = open_services(
        Config(token=TOKEN, link_secret="x", timezone="Asia/Tokyo"), store, engine, clock
    )
    # It is already 24 November in Tokyo.
    assert services.enrollment.check_date(date(2026, 11, 24)).status is DateStatus.OK
    assert services.enrollment.check_date(date(2026, 11, 25)).status is DateStatus.FUTURE
    assert services.enrollment.check_date(date(2025, 11, 23)).status is DateStatus.TOO_OLD
    assert services.enrollment.days_ago(1) == date(2026, 11, 23)
    assert clock.now + timedelta(0) == clock()


# --- rendering ----------------------------------------------------------------------------------------------


def test_callback_data_is_limited_to_64_bytes() -> None:
    assert parse_callback(callback("z", 1, "microneedling", "20261123")) == (
        "z",
        ["1", "microneedling", "20261123"],
    )
    with pytest.raises(ValueError, match="too long"):
        callback("s", "x" * 63)


def test_split_keeps_messages_under_the_limit() -> None:
    text = "\n\n".join(["word " * 300] * 5)
    chunks = split(text, 4096)
    assert len(chunks) > 1 and all(len(c) <= 4096 for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())


def _renderer_with(engine: Engine, **bot_texts: str) -> Renderer:
    messages = {
        **engine.kb.messages,
        "bot": {**cast(dict[str, object], engine.kb.messages["bot"]), **bot_texts},
    }
    return Renderer(dataclasses.replace(engine.kb, messages=messages), Clinic(name="Glow", phone="+44 1"))


def _patient(name: str | None) -> PatientView:
    return PatientView(7, name, "microneedling", "microneedling", date(2026, 11, 21), 2, "UTC", False)


def test_the_greeting_follows_the_template_of_the_knowledge_base(engine: Engine) -> None:
    shipped = _renderer_with(engine).greeting(_patient("Ann")).text
    assert shipped.startswith("Hello, Ann! You are on day 2 after your microneedling.\n\nAsk me anything")
    swapped = _renderer_with(engine, greeting="{where}\n{title}").greeting(_patient(None)).text
    assert swapped == "You are on day 2 after your microneedling.\nHello!"


def test_no_patient_facing_words_in_the_renderer(engine: Engine) -> None:
    import bot.telegram.render as render

    assert "Sorry" not in inspect.getsource(render)  # the fallback is errors.fallback, nothing else
    assert _renderer_with(engine).fallback().startswith("Sorry, something went wrong on our side")


def test_the_console_greets_and_says_goodbye_with_the_knowledge_base_texts(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    out = io.StringIO()
    assert main(["chat"], out=out) == 0
    hello = engine.kb.message("console.hello").replace("{procedure}", "microneedling")
    assert out.getvalue().splitlines() == [hello, engine.kb.message("console.goodbye")]
    assert "microneedling aftercare" in hello


# --- logs and locks -----------------------------------------------------------------------------------------


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


def test_a_second_lock_on_the_same_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.db.lock"
    with InstanceLock(path), pytest.raises(AlreadyRunning):
        InstanceLock(path).acquire()
    with InstanceLock(path):  # released when the first holder ends
        pass
