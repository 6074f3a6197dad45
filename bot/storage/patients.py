"""Patients and their treatments: the minimum needed to answer by day and to reach them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.storage import transaction
from bot.storage.stamps import parse_iso, seconds

migrations = Migrations("aftercare.patients")


@migrations()
def m001_patients(db: Database) -> None:
    """Patients (one per Telegram chat) and treatments (one per procedure date)."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS patients (
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
        CREATE TABLE IF NOT EXISTS treatments (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
            procedure TEXT NOT NULL,
            treated_on TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS treatments_patient ON treatments(patient_id)")


def _add_column(db: Database, table: str, column: str, definition: str) -> None:
    """ALTER TABLE ... ADD COLUMN, unless it is there already (migrations are idempotent)."""
    present = {row[1] for row in db.execute(f"PRAGMA table_info([{table}])").fetchall()}
    if column not in present:
        db.execute(f"ALTER TABLE [{table}] ADD COLUMN [{column}] {definition}")


@migrations()
def m002_variant_and_holds(db: Database) -> None:
    """A treatment's variant (a medium peel, lip filler) and the provider's holds (JSON: entry id -> day)."""
    _add_column(db, "treatments", "variant", "TEXT")
    _add_column(db, "treatments", "holds", "TEXT")


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
    """One treatment of a patient; `recorded_at` is when the clinic enrolled it (about when it ended)."""

    id: int
    patient_id: int
    procedure: str
    treated_on: date
    variant: str | None = None
    holds: dict[str, int] = field(default_factory=dict)
    recorded_at: datetime | None = None


def _row(cursor_row: tuple[object, ...], names: list[str]) -> dict[str, object]:
    return dict(zip(names, cursor_row, strict=True))


def _patient(row: dict[str, object]) -> Patient:
    return Patient(
        id=int(str(row["id"])),
        chat_id=int(str(row["chat_id"])),
        user_id=int(str(row["user_id"])) if row["user_id"] is not None else None,
        name=str(row["name"]) if row["name"] is not None else None,
        timezone=str(row["timezone"]),
        muted=bool(row["muted"]),
        unreachable=bool(row["unreachable"]),
    )


def _holds(text: object) -> dict[str, int]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return {str(k): int(v) for k, v in found.items() if isinstance(v, int)} if isinstance(found, dict) else {}


def _treatment(row: dict[str, object]) -> Treatment:
    created = row.get("created_at")
    return Treatment(
        id=int(str(row["id"])),
        patient_id=int(str(row["patient_id"])),
        procedure=str(row["procedure"]),
        treated_on=date.fromisoformat(str(row["treated_on"])),
        variant=str(row["variant"]) if row.get("variant") is not None else None,
        holds=_holds(row.get("holds")),
        recorded_at=parse_iso(created) if isinstance(created, str) else None,
    )


def _one(db: Database, sql: str, params: tuple[object, ...]) -> dict[str, object] | None:
    cursor = db.execute(sql, params)
    found = cursor.fetchone()
    return None if found is None else _row(found, [c[0] for c in cursor.description])


def _all(db: Database, sql: str, params: tuple[object, ...]) -> list[dict[str, object]]:
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [_row(r, names) for r in cursor.fetchall()]


def get_patient(db: Database, chat_id: int) -> Patient | None:
    """The patient who talks to the bot in `chat_id`, if any."""
    row = _one(db, "SELECT * FROM patients WHERE chat_id = ?", (chat_id,))
    return _patient(row) if row else None


def get_patient_by_id(db: Database, patient_id: int) -> Patient | None:
    """The patient with this number, if any."""
    row = _one(db, "SELECT * FROM patients WHERE id = ?", (patient_id,))
    return _patient(row) if row else None


def treatments(db: Database, patient_id: int) -> list[Treatment]:
    """The patient's treatments, most recent first (by date, then by when they were recorded)."""
    rows = _all(
        db, "SELECT * FROM treatments WHERE patient_id = ? ORDER BY treated_on DESC, id DESC", (patient_id,)
    )
    return [_treatment(r) for r in rows]


def latest_treatment(db: Database, patient_id: int) -> Treatment | None:
    """The patient's most recent treatment."""
    found = treatments(db, patient_id)
    return found[0] if found else None


def get_treatment(db: Database, treatment_id: int) -> Treatment | None:
    """One treatment."""
    row = _one(db, "SELECT * FROM treatments WHERE id = ?", (treatment_id,))
    return _treatment(row) if row else None


def enroll(
    db: Database,
    chat_id: int,
    user_id: int | None,
    name: str | None,
    timezone: str,
    procedure: str,
    treated_on: date,
    now: datetime,
    variant: str | None = None,
    holds: dict[str, int] | None = None,
) -> tuple[Patient, Treatment]:
    """Create or update the patient of `chat_id` and record a treatment; returns both."""
    with transaction(db):
        db.execute(
            """
            INSERT INTO patients (chat_id, user_id, name, timezone, created_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(chat_id) DO UPDATE SET
                user_id = excluded.user_id,
                name = COALESCE(excluded.name, patients.name),
                timezone = excluded.timezone,
                unreachable = 0
            """,
            (chat_id, user_id, name, timezone, seconds(now)),
        )
        patient = get_patient(db, chat_id)
        assert patient is not None
        treatment = add_treatment(db, patient.id, procedure, treated_on, now, variant, holds)
    return patient, treatment


def add_treatment(
    db: Database,
    patient_id: int,
    procedure: str,
    treated_on: date,
    now: datetime,
    variant: str | None = None,
    holds: dict[str, int] | None = None,
) -> Treatment:
    """Record one more treatment of an existing patient."""
    cursor = db.execute(
        "INSERT INTO treatments (patient_id, procedure, treated_on, created_at, variant, holds)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            patient_id,
            procedure,
            treated_on.isoformat(),
            seconds(now),
            variant,
            json.dumps(holds, sort_keys=True) if holds else None,
        ),
    )
    return Treatment(
        int(cursor.lastrowid or 0), patient_id, procedure, treated_on, variant, dict(holds or {}), now
    )


def set_muted(db: Database, chat_id: int, muted: bool) -> bool:
    """Mute or unmute check-ins of the patient of `chat_id`; False when there is no such patient."""
    cursor = db.execute("UPDATE patients SET muted = ? WHERE chat_id = ?", (int(muted), chat_id))
    return cursor.rowcount > 0


def set_unreachable(db: Database, patient_id: int, unreachable: bool) -> bool:
    """Record that the patient blocked the bot (or came back); True when that changed something."""
    cursor = db.execute(
        "UPDATE patients SET unreachable = ? WHERE id = ? AND unreachable != ?",
        (int(unreachable), patient_id, int(unreachable)),
    )
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
    """Delete the patient of `chat_id`; every row naming them goes with them (ON DELETE CASCADE, so no other
    module's table is written here). Returns the rows that went, per table."""
    patient = get_patient(db, chat_id)
    if patient is None:
        return {}
    counts: dict[str, int] = {}
    with transaction(db):
        for table, column in tables_naming_patients(db):
            (n,) = db.execute(
                f"SELECT COUNT(*) FROM [{table}] WHERE [{column}] = ?", (patient.id,)
            ).fetchone()
            if n:
                counts[table] = counts.get(table, 0) + int(n)
        db.execute("DELETE FROM patients WHERE id = ?", (patient.id,))
        counts["patients"] = 1
    return counts
