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


def _patient(row: dict[str, object] | None) -> Patient | None:
    if row is None:
        return None
    return Patient(
        id=int(str(row["id"])),
        chat_id=int(str(row["chat_id"])),
        user_id=int(str(row["user_id"])) if row["user_id"] is not None else None,
        name=str(row["name"]) if row["name"] is not None else None,
        timezone=str(row["timezone"]),
        muted=bool(row["muted"]),
        unreachable=bool(row["unreachable"]),
    )


def _one(db: Database, sql: str, params: tuple[object, ...]) -> dict[str, object] | None:
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row, strict=True))


def get_patient(db: Database, chat_id: int) -> Patient | None:
    """The patient who talks to the bot in `chat_id`, if any."""
    return _patient(_one(db, "SELECT * FROM patients WHERE chat_id = ?", (chat_id,)))


def latest_treatment(db: Database, patient_id: int) -> Treatment | None:
    """The patient's most recent treatment (by date, then by when it was recorded)."""
    row = _one(
        db,
        "SELECT * FROM treatments WHERE patient_id = ? ORDER BY treated_on DESC, id DESC LIMIT 1",
        (patient_id,),
    )
    if row is None:
        return None
    return Treatment(
        id=int(str(row["id"])),
        patient_id=int(str(row["patient_id"])),
        procedure=str(row["procedure"]),
        treated_on=date.fromisoformat(str(row["treated_on"])),
    )


def enroll(
    db: Database,
    chat_id: int,
    user_id: int | None,
    name: str | None,
    timezone: str,
    procedure: str,
    treated_on: date,
    now: str,
) -> tuple[Patient, Treatment]:
    """Create or update the patient of `chat_id` and record a treatment; returns both."""
    with db.atomic():
        db.execute(
            """
            INSERT INTO patients (chat_id, user_id, name, timezone, created_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(chat_id) DO UPDATE SET
                user_id = excluded.user_id,
                name = COALESCE(excluded.name, patients.name),
                timezone = excluded.timezone,
                unreachable = 0
            """,
            (chat_id, user_id, name, timezone, now),
        )
        patient = get_patient(db, chat_id)
        assert patient is not None
        cursor = db.execute(
            "INSERT INTO treatments (patient_id, procedure, treated_on, created_at) VALUES (?, ?, ?, ?)",
            (patient.id, procedure, treated_on.isoformat(), now),
        )
        treatment = Treatment(int(cursor.lastrowid or 0), patient.id, procedure, treated_on)
    return patient, treatment


def set_flag(db: Database, chat_id: int, flag: str, value: bool) -> bool:
    """Set `muted` or `unreachable` for the patient of `chat_id`; False when there is no such patient."""
    if flag not in ("muted", "unreachable"):
        raise ValueError(f"unknown flag {flag!r}")
    cursor = db.execute(f"UPDATE patients SET {flag} = ? WHERE chat_id = ?", (int(value), chat_id))
    return cursor.rowcount > 0


def tables_naming_patients(db: Database) -> list[tuple[str, str]]:
    """Every (table, column) with a foreign key to patients.id, in any module's tables."""
    found: list[tuple[str, str]] = []
    for (table,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall():
        for fk in db.execute(f"PRAGMA foreign_key_list([{table}])").fetchall():
            # (id, seq, table, from, to, on_update, on_delete, match)
            if fk[2] == "patients":
                found.append((str(table), str(fk[3])))
    return found


def forget(db: Database, chat_id: int) -> dict[str, int]:
    """Delete the patient of `chat_id` and every row naming them; returns rows deleted per table."""
    patient = get_patient(db, chat_id)
    if patient is None:
        return {}
    counts: dict[str, int] = {}
    with db.atomic():
        for table, column in tables_naming_patients(db):
            (n,) = db.execute(
                f"SELECT COUNT(*) FROM [{table}] WHERE [{column}] = ?", (patient.id,)
            ).fetchone()
            if n:
                counts[table] = counts.get(table, 0) + int(n)
                db.execute(f"DELETE FROM [{table}] WHERE [{column}] = ?", (patient.id,))
        db.execute("DELETE FROM patients WHERE id = ?", (patient.id,))
        counts["patients"] = 1
    return counts
