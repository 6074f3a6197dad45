"""Migrations: a new database gets the current shape; an existing one is brought to it keeping its rows;
every step can run again without harm (two processes may race to open a new database)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from bot.storage import Store, settings, staff_events
from bot.storage.staff_events import NoticeKind

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _columns(store: Store, table: str) -> list[str]:
    found = store.call(lambda db: db.execute(f"PRAGMA table_info({table})").fetchall())
    return [str(c[1]) for c in found]


def test_a_new_database_has_the_current_shape(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "new.db", create=True)
    try:
        assert "handled_at" not in _columns(store, "staff_events")
        assert {"priority", "skip_reason", "about_chat_id"} <= set(_columns(store, "outbox"))
        assert {"variant", "holds"} <= set(_columns(store, "treatments"))
        assert "shown_at" in _columns(store, "staff_events")
    finally:
        store.close()


def test_an_existing_database_loses_handled_at_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store.open(path, create=True)
    store.call(staff_events.record, NoticeKind.UNREACHABLE, "unreachable:1:1", NOW)
    store.close()
    # Put the database back as the first version of the migration left it.
    old = Database(path)
    old.execute("ALTER TABLE staff_events ADD COLUMN handled_at TEXT")
    old.execute("CREATE INDEX staff_events_open ON staff_events(handled_at, created_at)")
    old.execute(
        "DELETE FROM _sqlite_migrations WHERE migration_set = 'aftercare.checkin_log' AND name LIKE 'm002%'"
    )
    old.conn.commit()
    old.close()
    store = Store.open(path)
    try:
        assert "handled_at" not in _columns(store, "staff_events")
        [event] = store.call(staff_events.events)
        assert event.kind is NoticeKind.UNREACHABLE
    finally:
        store.close()


def test_every_step_can_run_again(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    store = Store.open(path, create=True)
    store.call(settings.put, "kept", "yes")
    store.close()
    forgotten = Database(path)
    forgotten.execute("DELETE FROM _sqlite_migrations")  # as if no step had been recorded
    forgotten.conn.commit()
    forgotten.close()
    store = Store.open(path)
    try:
        assert store.call(settings.get, "kept") == "yes"
        applied = store.call(lambda db: db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0])
        assert applied >= 12
    finally:
        store.close()
