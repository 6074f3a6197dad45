"""Putting the pieces together outside Telegram: the store, the link secret and the services."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.config import Config
from bot.core.answer import Engine
from bot.knowledge_source import load_engine
from bot.services import Clock, Services, Settings, system_clock
from bot.storage import Store, settings


def service_settings(config: Config) -> Settings:
    """The settings the services follow, from the configuration."""
    return Settings(
        timezone=config.timezone,
        timezones=config.timezones,
        invite_days=config.invite_days,
        question_retention_days=config.question_retention_days,
        patient_retention_days=config.patient_retention_days,
        clinic_hours=config.clinic_hours,
        alert_repeat_minutes=config.alert_repeat_minutes,
        staff_chat_id=config.staff_chat_id,
    )


def link_secret(config: Config, store: Store) -> bytes:
    """AFTERCARE_LINK_SECRET, else the secret generated once and kept in the database."""
    if config.link_secret:
        return config.link_secret.encode("utf-8")
    return store.call(settings.link_secret).encode("ascii")


def open_services(config: Config, store: Store, engine: Engine, clock: Clock = system_clock) -> Services:
    """The services over an open store."""
    return Services.create(store, engine, service_settings(config), link_secret(config, store), clock)


class DatabaseUnavailable(Exception):
    """The database file cannot be opened (missing folder, no permission, not an SQLite file)."""


def open_store(path: Path) -> Store:
    """Open and migrate the database at `path`; DatabaseUnavailable (one line, no traceback) when it fails."""
    try:
        return Store.open(path)
    except (OSError, sqlite3.DatabaseError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DatabaseUnavailable(f"cannot open the database {path}: {reason}") from None


def open_all(config: Config, knowledge: Path, clock: Clock = system_clock) -> Services:
    """Load the knowledge base with the clinic's details, open and migrate the database, wire the services."""
    engine = load_engine(knowledge, config.clinic)
    store = open_store(config.db_path)
    try:
        return open_services(config, store, engine, clock)
    except BaseException:
        store.close()
        raise
