"""Enrollment invites: what a signed link stands for, kept server-side so the link carries no health data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.storage.patients import _add_column, _holds

migrations = Migrations("aftercare.invites")


@migrations()
def m001_invites(db: Database) -> None:
    """Invites: one row per printed link; `patient_id` is set by the first account that opens it."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS invites (
            id INTEGER PRIMARY KEY,
            procedure TEXT NOT NULL,
            treated_on TEXT NOT NULL,
            timezone TEXT NOT NULL,
            name TEXT,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            patient_id INTEGER REFERENCES patients(id) ON DELETE CASCADE
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS invites_patient ON invites(patient_id)")


@migrations()
def m002_variant_and_holds(db: Database) -> None:
    """What the provider chose at enrollment: the variant and any longer waits (holds)."""
    _add_column(db, "invites", "variant", "TEXT")
    _add_column(db, "invites", "holds", "TEXT")


@migrations()
def m003_treatment_for_a_patient(db: Database) -> None:
    """Staff adding a treatment to a patient already enrolled (`/enroll DATE #N`) keep the choice being made
    here too: such a row names the patient (gone with them on /forget) and never becomes a link."""
    _add_column(db, "invites", "for_patient", "INTEGER REFERENCES patients(id) ON DELETE CASCADE")


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


@dataclass(frozen=True)
class Invite:
    """An enrollment invite as stored."""

    id: int
    procedure: str
    treated_on: date
    timezone: str
    name: str | None
    expires_at: str
    used_at: str | None
    patient_id: int | None
    variant: str | None = None
    holds: dict[str, int] = field(default_factory=dict)
    for_patient: int | None = None
    """Set for a treatment staff add to this patient (no link): see `create_for_patient`."""


def create(
    db: Database,
    procedure: str,
    treated_on: date,
    timezone: str,
    name: str | None,
    now: str,
    expires_at: str,
    variant: str | None = None,
    holds: dict[str, int] | None = None,
) -> int:
    """Store a new invite; returns its id (the id is what the signed link carries)."""
    cursor = db.execute(
        "INSERT INTO invites (procedure, treated_on, timezone, name, created_at, expires_at, variant, holds)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            procedure,
            treated_on.isoformat(),
            timezone,
            name,
            now,
            expires_at,
            variant,
            json.dumps(holds, sort_keys=True) if holds else None,
        ),
    )
    return int(cursor.lastrowid or 0)


def get(db: Database, invite_id: int) -> Invite | None:
    """The invite with this id, if it exists."""
    row = db.execute(
        "SELECT id, procedure, treated_on, timezone, name, expires_at, used_at, patient_id, variant, holds,"
        " for_patient FROM invites WHERE id = ?",
        (invite_id,),
    ).fetchone()
    if row is None:
        return None
    return Invite(
        id=int(row[0]),
        procedure=str(row[1]),
        treated_on=date.fromisoformat(str(row[2])),
        timezone=str(row[3]),
        name=row[4],
        expires_at=str(row[5]),
        used_at=row[6],
        patient_id=row[7],
        variant=row[8],
        holds=_holds(row[9]),
        for_patient=row[10],
    )


def create_for_patient(
    db: Database, patient_id: int, procedure: str, treated_on: date, timezone: str, now: str, expires_at: str
) -> int:
    """Store the choice of a treatment staff are adding to patient `patient_id` (no link is ever signed for
    it); returns its id, which the choice buttons carry."""
    cursor = db.execute(
        "INSERT INTO invites (procedure, treated_on, timezone, created_at, expires_at, for_patient)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (procedure, treated_on.isoformat(), timezone, now, expires_at, patient_id),
    )
    return int(cursor.lastrowid or 0)


def use(db: Database, invite_id: int, now: str) -> bool:
    """Mark a choice made for a patient already enrolled as done; False when it was done already (a second
    press of the same button adds nothing)."""
    cursor = db.execute(
        "UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL AND for_patient IS NOT NULL",
        (now, invite_id),
    )
    return cursor.rowcount > 0


def claim(db: Database, invite_id: int, patient_id: int, now: str) -> bool:
    """Mark the invite used by `patient_id`; False when someone used it first."""
    cursor = db.execute(
        "UPDATE invites SET used_at = ?, patient_id = ?, name = NULL WHERE id = ? AND used_at IS NULL",
        (now, patient_id, invite_id),
    )
    return cursor.rowcount > 0


def purge_expired(db: Database, now: str) -> int:
    """Delete invites that expired unused (they may hold a name); returns how many."""
    return int(db.execute("DELETE FROM invites WHERE used_at IS NULL AND expires_at < ?", (now,)).rowcount)


def used_by(db: Database, patient_id: int) -> bool:
    """Whether the patient came in through a link (a second link is refused: see services.enrollment)."""
    return (
        db.execute("SELECT 1 FROM invites WHERE patient_id = ? LIMIT 1", (patient_id,)).fetchone() is not None
    )


def choose(db: Database, invite_id: int, procedure: str, variant: str | None) -> bool:
    """Set the procedure (and variant) of an unused invite (staff /enroll, after the buttons)."""
    cursor = db.execute(
        "UPDATE invites SET procedure = ?, variant = ? WHERE id = ? AND used_at IS NULL",
        (procedure, variant, invite_id),
    )
    return cursor.rowcount > 0
