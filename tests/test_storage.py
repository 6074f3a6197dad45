"""The database: nesting transactions, owner-only files, the generated link secret, retention."""

from __future__ import annotations

import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.core.answer import Engine
from bot.storage import Store, patients, questions, settings, transaction, updates
from bot.storage.lock import AlreadyRunning, InstanceLock
from bot.storage.secret import link_secret, secret_path
from tests.conftest import FakeClock, make_services

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_update_ids_are_claimed_once(store: Store) -> None:
    assert store.call(updates.claim, 5, "2026-11-23T00:00:00+00:00")
    assert not store.call(updates.claim, 5, "2026-11-23T00:00:01+00:00")
    assert store.call(updates.purge, "2026-11-24T00:00:00+00:00") == 1


def test_an_inner_failure_rolls_back_only_the_inner_part_and_an_outer_one_everything(store: Store) -> None:
    def work(db: object, fail_outer: bool) -> None:
        with transaction(store.db):
            settings.put(store.db, "outer", "1")
            with pytest.raises(RuntimeError), transaction(store.db):
                settings.put(store.db, "inner", "1")
                raise RuntimeError("inner")
            if fail_outer:
                raise RuntimeError("outer")

    store.call(work, False)
    assert (store.call(settings.get, "outer"), store.call(settings.get, "inner")) == ("1", None)
    store.call(settings.delete, "outer")
    with pytest.raises(RuntimeError, match="outer"):
        store.call(work, True)
    assert store.call(settings.get, "outer") is None


def test_the_database_and_its_companions_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "clinic.db"
    opened = Store.open(path, create=True)
    try:
        store_secret = opened.call(link_secret, path)
        opened.call(settings.put, "k", "v")  # a write, so that the -wal file exists
        lock = InstanceLock(Path(f"{path}.lock"))
        with lock:
            found = [p for p in tmp_path.iterdir()]
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in found}
    finally:
        opened.close()
    assert store_secret and {name: mode for name, mode in modes.items()} == {name: 0o600 for name in modes}
    assert {"clinic.db", "clinic.db-wal", "clinic.db.lock", "clinic.db.secret"} <= set(modes)


def test_a_missing_database_is_not_created_unless_asked(tmp_path: Path) -> None:
    from bot.storage import DatabaseMissing

    with pytest.raises(DatabaseMissing):
        Store.open(tmp_path / "nowhere.db")
    assert not (tmp_path / "nowhere.db").exists()


def test_the_link_secret_is_generated_once_outside_the_database(tmp_path: Path) -> None:
    path = tmp_path / "clinic.db"
    opened = Store.open(path, create=True)
    try:
        opened.call(settings.put, settings.LINK_SECRET, "a" * 64)  # where older versions kept it
        first = opened.call(link_secret, path)
        assert first == b"a" * 64  # links already handed out stay valid
        assert opened.call(settings.get, settings.LINK_SECRET) is None  # no longer in the database
        assert opened.call(link_secret, path) == first
    finally:
        opened.close()
    assert secret_path(path).read_text(encoding="ascii") == "a" * 64


def test_question_texts_expire(store: Store) -> None:
    now = "2026-11-23T12:00:00+00:00"
    patient, _ = store.call(patients.enroll, 1, 1, None, "UTC", "microneedling", date(2026, 11, 20), NOW)
    store.call(
        questions.record, patient.id, "2026-10-01T00:00:00+00:00", "microneedling", 1, None, 0.1, None, "old"
    )
    store.call(questions.record, patient.id, now, "microneedling", 3, None, 0.1, None, "new")
    assert store.call(questions.purge, "2026-10-24T12:00:00+00:00", "2025-11-23T12:00:00+00:00") == (1, 0)
    assert [t for _, _, t in store.call(questions.unanswered)] == ["new"]


def test_purge_applies_the_retention_limits(store: Store, engine: Engine) -> None:
    clock = FakeClock()
    services = make_services(store, engine, clock)
    invitation = store.call(
        services.enrollment.create_invite, "Bot", "microneedling", clock.today(), "UTC", "Ann"
    )
    clock.advance(days=15)
    done = store.call(services.privacy.purge)
    assert done["expired_invites"] == 1
    assert store.call(lambda db: db.execute("SELECT COUNT(*) FROM invites").fetchone()) == (0,)
    assert invitation.invite_id > 0


def test_a_second_lock_on_the_same_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.db.lock"
    with InstanceLock(path), pytest.raises(AlreadyRunning):
        InstanceLock(path).acquire()
    with InstanceLock(path):  # released when the first holder ends
        pass
