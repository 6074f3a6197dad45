"""Looking up a patient and their current treatment as a `PatientView` (on the database thread)."""

from __future__ import annotations

from sqlite_utils import Database

from bot.core.recovery import recovery_day
from bot.services.base import Deps
from bot.services.views import PatientView
from bot.storage import patients


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
        patient_id=patient.id,
        variant=treatment.variant,
        holds=dict(treatment.holds),
    )


def find(deps: Deps, db: Database, chat_id: int) -> PatientView | None:
    """The patient of `chat_id` as a view, or None when not enrolled (or their procedure is gone)."""
    patient = patients.get_patient(db, chat_id)
    treatment = patients.latest_treatment(db, patient.id) if patient else None
    if patient is None or treatment is None or treatment.procedure not in deps.engine.kb.procedures:
        return None
    return view(deps, patient, treatment)
