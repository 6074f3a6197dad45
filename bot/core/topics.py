"""The canonical topic ids each procedure's knowledge base must cover, and their kinds.

These ids are the contract with labelled question sets (`aftercare eval`) and with clinics' analytics, so
they live in code, not in the editable YAML: a clinic can reword everything but not drop a topic by accident.
"""

from __future__ import annotations

from bot.core.model import Kind

OTHER = "other"
"""The label of questions no entry covers: the right behaviour is to abstain."""

CANONICAL_TOPICS: dict[str, dict[str, Kind]] = {
    "microneedling": {
        "retinoids": Kind.RESTRICTION,
        "acids_exfoliants": Kind.RESTRICTION,
        "vitamin_c": Kind.RESTRICTION,
        "makeup": Kind.RESTRICTION,
        "sun_sunscreen": Kind.RESTRICTION,
        "washing_cleansing": Kind.ADVICE,
        "moisturizer_serums": Kind.ADVICE,
        "exercise_sweating": Kind.RESTRICTION,
        "swimming_sauna_heat": Kind.RESTRICTION,
        "alcohol_smoking": Kind.RESTRICTION,
        "shaving_hair_removal": Kind.RESTRICTION,
        "other_treatments": Kind.RESTRICTION,
        "redness_swelling": Kind.SYMPTOM,
        "peeling_dryness_flaking": Kind.SYMPTOM,
        "itching": Kind.SYMPTOM,
        "pain_discomfort": Kind.SYMPTOM,
        "bruising_bleeding_pinpoint": Kind.SYMPTOM,
        "breakouts_acne": Kind.SYMPTOM,
        "infection_signs": Kind.RED_FLAG,
        "allergic_reaction": Kind.RED_FLAG,
        "cold_sores_herpes": Kind.RED_FLAG,
        "results_timeline": Kind.INFO,
        "sessions_frequency": Kind.INFO,
        "sleeping_pillowcase": Kind.ADVICE,
        "touching_picking": Kind.ADVICE,
        "hydration_water": Kind.ADVICE,
        "numbing_preparation": Kind.INFO,
        "procedure_what_is": Kind.INFO,
        "medication": Kind.ADVICE,
        "pregnancy": Kind.INFO,
        "travel_flying": Kind.ADVICE,
    },
}
