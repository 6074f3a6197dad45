"""Looking up a patient and their current treatment as a `PatientView`."""

from __future__ import annotations

from sqlite_utils import Database

from bot.core.recovery import recovery_day
from bot.services.base import Deps
from bot.services.views import PatientView
from bot.storage import patients


def load(db: Database, chat_id: int) -> tuple[patients.Patient, patients.Treatment] | None:
    """The patient of `chat_id` and their latest treatment (runs on the database thread)."""
    patient = patients.get_patient(db, chat_id)
    if patient is None:
        return None
    treatment = patients.latest_treatment(db, patient.id)
    return (patient, treatment) if treatment is not None else None


def view(deps: Deps, patient: patients.Patient, treatment: patients.Treatment) -> PatientView:
    """The view of a patient for today, in their own time zone."""
    procedure = deps.engine.kb.procedures.get(treatment.procedure)
    day = recovery_day(treatment.treated_on, deps.today(patient.timezone))
    return PatientView(
        chat_id=patient.chat_id,
        name=patient.name,
        procedure_id=treatment.procedure,
        procedure_name=procedure.name if procedure else treatment.procedure,
        treated_on=treatment.treated_on,
        day=max(day, 0),
        timezone=patient.timezone,
        muted=patient.muted,
    )


async def find(deps: Deps, chat_id: int) -> PatientView | None:
    """The patient of `chat_id` as a view, or None when not enrolled (or their procedure is gone)."""
    found = await deps.store.run(load, chat_id)
    if found is None or found[1].procedure not in deps.engine.kb.procedures:
        return None
    return view(deps, *found)
