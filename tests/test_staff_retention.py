"""Retention: a patient whose last treatment is older than AFTERCARE_PATIENT_RETENTION_DAYS disappears with
every row that names them (check-ins, answers, staff events, alerts and their queued messages, handoffs);
a recent patient stays untouched."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlite_utils import Database

from bot.config import ConfigError, load_config
from bot.core.model import Tier
from bot.storage import Store, alerts, checkin_log, handoffs, outbox, patients, staff_events
from bot.storage.alerts import Source
from bot.storage.handoffs import OpenedBy
from bot.storage.outbox import Kind, NewRow
from bot.storage.staff_events import NoticeKind
from tests.checkin_support import FakeClock, add_patient, plan_checkins, rows_for_treatment, shipped_engine
from tests.conftest import make_services

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STAFF_CHAT = -100500


async def _patient_with_history(store: Store, chat: int, treated_on: date) -> int:
    patient, treatment = add_patient(
        store, chat, treated_on, created_at=datetime.combine(treated_on, datetime.min.time(), UTC)
    )
    await plan_checkins(store, treatment, datetime.combine(treated_on, datetime.min.time(), UTC))

    [first, *_] = rows_for_treatment(store, treatment)

    def history(db: Database) -> None:
        checkin_log.record_response(db, first.id, patient, treatment, first.step_day, "something_wrong", NOW)
        staff_events.record(db, NoticeKind.UNREACHABLE, f"unreachable:{patient}", NOW, patient_id=patient)
        alert_id = alerts.create(db, f"message:{chat}", chat, patient, Tier.SAME_DAY, Source.MESSAGE, NOW)
        assert alert_id is not None
        repeat = NewRow(
            Kind.ALERT, f"alert:{alert_id}:repeat", STAFF_CHAT, NOW, patient_id=patient, payload="{}"
        )
        outbox.insert_rows(db, [repeat], NOW)
        handoffs.open_handoff(db, chat, patient, OpenedBy.PATIENT, NOW)

    store.call(history)
    return patient


def _rows_naming(store: Store, patient: int, chat: int) -> dict[str, int]:
    def count(db: Database) -> dict[str, int]:
        found = {
            table: int(
                db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE [{column}] = ?", (patient,)).fetchone()[0]
            )
            for table, column in patients.tables_naming_patients(db)
        }
        found["patients"] = int(
            db.execute("SELECT COUNT(*) FROM patients WHERE id = ?", (patient,)).fetchone()[0]
        )
        found["alert messages"] = int(
            db.execute(
                "SELECT COUNT(*) FROM outbox WHERE kind = 'alert' AND dedupe_key IN "
                "(SELECT 'alert:' || id || ':repeat' FROM alerts WHERE chat_id = ?)",
                (chat,),
            ).fetchone()[0]
        )
        return {k: v for k, v in found.items() if v}

    return store.call(count)


async def test_a_patient_treated_long_ago_disappears_and_a_recent_one_stays(store: Store) -> None:
    old = await _patient_with_history(store, 501, NOW.date() - timedelta(days=200))
    recent = await _patient_with_history(store, 502, NOW.date() - timedelta(days=10))
    before_recent = _rows_naming(store, recent, 502)
    assert {
        "patients",
        "treatments",
        "outbox",
        "checkin_responses",
        "staff_events",
        "alerts",
        "handoffs",
    } <= set(before_recent)
    assert before_recent["alert messages"] == 1
    services = make_services(store, shipped_engine(), FakeClock(NOW))
    done = store.call(services.privacy.purge)
    assert done["inactive_patients"] == 1
    assert _rows_naming(store, old, 501) == {}
    assert [store.call(handoffs.is_open, chat) for chat in (501, 502)] == [False, True]
    assert _rows_naming(store, recent, 502) == before_recent
    assert store.call(services.privacy.purge)["inactive_patients"] == 0


async def test_the_retention_follows_the_setting(store: Store) -> None:
    patient = await _patient_with_history(store, 503, NOW.date() - timedelta(days=100))
    keep = make_services(store, shipped_engine(), FakeClock(NOW))
    assert store.call(keep.privacy.purge)["inactive_patients"] == 0  # default 180 days
    short = make_services(store, shipped_engine(), FakeClock(NOW), patient_retention_days=90)
    store.call(short.privacy.purge)
    assert _rows_naming(store, patient, 503) == {}


def test_the_retention_is_read_from_the_environment() -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123456:" + "A" * 30}
    assert load_config({**env}).patient_retention_days == 180
    assert load_config({**env, "AFTERCARE_PATIENT_RETENTION_DAYS": "365"}).patient_retention_days == 365
    with pytest.raises(ConfigError):
        load_config({**env, "AFTERCARE_PATIENT_RETENTION_DAYS": "20"})
    configured = load_config({**env, "AFTERCARE_PATIENT_RETENTION_DAYS": "90"})
    assert configured.patient_retention_days == 90  # the daily purge reads the same configuration
