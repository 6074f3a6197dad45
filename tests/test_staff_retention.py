"""Retention: a patient whose last treatment is older than AFTERCARE_PATIENT_RETENTION_DAYS disappears with
every row that names them (check-ins, answers, staff events, alerts and their queued messages, handoffs);
a recent patient stays untouched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.bootstrap import service_settings
from bot.config import ConfigError, load_config
from bot.scheduler import plan_checkins
from bot.services import Services, Settings
from bot.storage import Store, alerts, checkin_log, outbox, patients
from bot.storage.alerts import ALERT
from bot.storage.outbox import NewRow
from tests.checkin_support import FakeClock, add_patient, rows_for_treatment, shipped_engine

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STAFF_CHAT = -100500


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "aftercare.db")
    yield opened
    opened.close()


async def _patient_with_history(store: Store, chat: int, treated_on: date) -> int:
    patient, treatment = add_patient(
        store, chat, treated_on, created_at=datetime.combine(treated_on, datetime.min.time(), UTC)
    )
    await plan_checkins(
        store, shipped_engine().kb, treatment, datetime.combine(treated_on, datetime.min.time(), UTC)
    )

    [first, *_] = rows_for_treatment(store, treatment)

    def history(db: Database) -> None:
        checkin_log.record_response(db, first.id, patient, treatment, first.step_day, "something_wrong", NOW)
        checkin_log.record_staff_event(
            db, "escalation", f"checkin:{first.id}", NOW, patient_id=patient, tier="same_day"
        )
        alert_id = alerts.create(db, f"message:{chat}", chat, patient, "same_day", "message", NOW)
        assert alert_id is not None
        outbox.insert_rows(
            db, [NewRow(ALERT, f"alert:{alert_id}:repeat", STAFF_CHAT, NOW, payload="{}")], NOW
        )
        alerts.open_handoff(db, chat, patient, "patient", NOW)

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
    services = Services.create(store, shipped_engine(), Settings(), b"secret", FakeClock(NOW))
    done = store.call(services.privacy.purge)
    assert done["inactive_patients"] == 1
    assert _rows_naming(store, old, 501) == {}
    assert store.call(alerts.open_handoff_chats) == {502}
    assert _rows_naming(store, recent, 502) == before_recent
    assert store.call(services.privacy.purge)["inactive_patients"] == 0


async def test_the_retention_follows_the_setting(store: Store) -> None:
    patient = await _patient_with_history(store, 503, NOW.date() - timedelta(days=100))
    keep = Services.create(store, shipped_engine(), Settings(), b"secret", FakeClock(NOW))
    assert store.call(keep.privacy.purge)["inactive_patients"] == 0  # default 180 days
    short = Settings(patient_retention_days=90)
    store.call(Services.create(store, shipped_engine(), short, b"secret", FakeClock(NOW)).privacy.purge)
    assert _rows_naming(store, patient, 503) == {}


def test_the_retention_is_read_from_the_environment() -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123456:" + "A" * 30}
    assert load_config({**env}).patient_retention_days == 180
    assert load_config({**env, "AFTERCARE_PATIENT_RETENTION_DAYS": "365"}).patient_retention_days == 365
    with pytest.raises(ConfigError):
        load_config({**env, "AFTERCARE_PATIENT_RETENTION_DAYS": "20"})
    configured = load_config({**env, "AFTERCARE_PATIENT_RETENTION_DAYS": "90"})
    assert service_settings(configured).patient_retention_days == 90  # it reaches the daily purge
