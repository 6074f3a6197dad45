"""Looking up a patient and their current treatment as a `PatientView` (on the database thread)."""

from __future__ import annotations

from dataclasses import replace

from sqlite_utils import Database

from bot.core.courses import Course, named_in, strictest_holds
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


def for_question(deps: Deps, db: Database, chat_id: int, text: str = "") -> PatientView | None:
    """The patient as a question needs them: the treatment the question names (else the most recent), with
    every wait as long as the strictest of their treatments still healing."""
    patient = patients.get_patient(db, chat_id)
    if patient is None:
        return None
    kb = deps.engine.kb
    found = [t for t in patients.treatments(db, patient.id) if t.procedure in kb.procedures]
    if not found:
        return None
    courses = [Course(t.procedure, t.treated_on, t.variant, t.holds) for t in found]
    named = named_in(kb, text, courses) if text else None
    chosen = found[courses.index(named)] if named is not None else found[0]
    course = courses[found.index(chosen)]
    holds = strictest_holds(kb, course, courses, deps.today(patient.timezone))
    return replace(view(deps, patient, chosen), holds=holds)
