"""Patients and their treatments: the minimum needed to answer by day and to reach them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("aftercare.patients")


@migrations()
def m001_patients(db: Database) -> None:
    """Patients (one per Telegram chat) and treatments (one per procedure date)."""
    db.execute(
        """
        CREATE TABLE patients (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL UNIQUE,
            user_id INTEGER,
            name TEXT,
            timezone TEXT NOT NULL DEFAULT 'UTC',
            muted INTEGER NOT NULL DEFAULT 0,
            unreachable INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE treatments (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
            procedure TEXT NOT NULL,
            treated_on TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX treatments_patient ON treatments(patient_id)")


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


@dataclass(frozen=True)
class Patient:
    """A patient as the bot needs them."""

    id: int
    chat_id: int
    user_id: int | None
    name: str | None
    timezone: str
    muted: bool
    unreachable: bool


@dataclass(frozen=True)
class Treatment:
    """One treatment of a patient."""

    id: int
    patient_id: int
    procedure: str
    treated_on: date
