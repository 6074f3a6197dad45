"""The check-in log's migrations: staff_events.handled_at, never written, is dropped from existing
databases too, and the events recorded before stay."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from bot.storage import Store, checkin_log

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _columns(store: Store) -> list[str]:
    found = store.call(lambda db: db.execute("PRAGMA table_info(staff_events)").fetchall())
    return [str(c[1]) for c in found]


def test_a_new_database_has_no_handled_at(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "new.db")
    try:
        assert "handled_at" not in _columns(store)
    finally:
        store.close()


def test_an_existing_database_loses_handled_at_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store.open(path)

    def record(db: Database) -> None:
        checkin_log.record_staff_event(db, "unreachable", "unreachable:1:1", NOW, reason="x")

    store.call(record)
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
        assert "handled_at" not in _columns(store)
        [event] = store.call(checkin_log.staff_events)
        assert (event.kind, event.reason) == ("unreachable", "x")
    finally:
        store.close()
