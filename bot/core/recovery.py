"""Recovery-day rules: what is allowed on which day, phrased with the knowledge base's own wording."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.model import Entry, KnowledgeBase, Procedure, RestrictionRule
from bot.core.text import fill


@dataclass(frozen=True)
class Verdict:
    """A restriction's verdict for one patient: allowed now or not, from which day, and the sentence."""

    entry_id: str
    rule: RestrictionRule
    allowed_now: bool | None
    from_day: int
    text: str


@dataclass(frozen=True)
class Milestone:
    """A day on which something paused becomes allowed again."""

    day: int
    entry_id: str
    subject: str
    discouraged: bool = False
    """The end of a healing break, not something to restart (see `RestrictionRule.discouraged`)."""
    held: bool = False
    """Later than the knowledge base's day for this patient (a provider's hold, or another treatment)."""
    announce: bool = True
    """False when the patient does not wait for it (see `RestrictionRule.announce`)."""


def recovery_day(treated_on: date, today: date) -> int:
    """Days since treatment; day 0 is the treatment day (negative for a future date)."""
    return (today - treated_on).days


def when_text(kb: KnowledgeBase, from_day: int, treated_on: date | None) -> str:
    """`day 5 (Friday 28 November)` when the treatment date is known, else `day 5`."""
    if treated_on is None:
        return fill(kb.message("calendar.when_without_date", "day {from_day}"), {"from_day": from_day})
    on = treated_on + timedelta(days=from_day)
    weekdays = kb.message_list("calendar.weekdays")
    months = kb.message_list("calendar.months")
    values = {
        "from_day": from_day,
        "weekday": weekdays[on.weekday()] if len(weekdays) == 7 else "",
        "date_day": on.day,
        "month": months[on.month - 1] if len(months) == 12 else str(on.month),
        "year": on.year,
    }
    return fill(kb.message("calendar.when_with_date", "day {from_day}"), values)


def entry_values(kb: KnowledgeBase, entry: Entry, treated_on: date | None) -> dict[str, object]:
    """The entry's own days for its texts: `{resume_day}`, `{resume_when}` and, per named rule,
    `{resume_day_<id>}` / `{resume_when_<id>}`; `{resume_hours}` (`_<id>`) for "the first 48 hours";
    `{normal_until_day}` for a symptom."""
    values: dict[str, object] = {}
    if entry.restriction is not None:
        for rule in entry.restriction.all_rules:
            suffix = "" if rule is entry.restriction.main else f"_{rule.id}"
            if suffix == "_None":
                continue
            values[f"resume_day{suffix}"] = rule.resume_day
            values[f"resume_hours{suffix}"] = rule.resume_day * 24
            values[f"resume_when{suffix}"] = when_text(kb, rule.resume_day, treated_on)
    if entry.symptom is not None:
        values["normal_until_day"] = entry.symptom.normal_until_day
    return values


def verdict(
    kb: KnowledgeBase,
    entry: Entry,
    rule: RestrictionRule,
    day: int | None,
    treated_on: date | None = None,
    tomorrow: bool = False,
) -> Verdict:
    """The verdict sentence for `rule` on `day` (None when the day is unknown).

    `tomorrow` is set when the patient asks about tomorrow: if that is the day the rule ends, the answer says
    so ("yes, from tomorrow") instead of a bare "not yet".
    """
    main = entry.restriction.main if entry.restriction else rule
    if day is None:
        key, allowed = "unknown_day", None
    elif tomorrow and day + 1 == rule.resume_day and kb.message("restriction.from_tomorrow"):
        key, allowed = "from_tomorrow", False
    elif day < rule.resume_day:
        key, allowed = "not_yet", False
    elif day == rule.resume_day:
        key, allowed = "from_today", True
    else:
        key, allowed = "allowed", True
    # A break that must never read as encouragement (smoking) has its own shared wording, and does not
    # borrow the main rule's ("you can restart alcohol").
    shared = (kb.message(f"restriction.discouraged.{key}") if rule.discouraged else "") or kb.message(
        f"restriction.{key}"
    )
    borrowed = getattr(main.texts, key, None) if main.discouraged == rule.discouraged else None
    template = getattr(rule.texts, key, None) or borrowed or shared
    values = {
        "day": day if day is not None else "",
        "from_day": rule.resume_day,
        "tomorrow_day": day + 1 if day is not None else "",
        "subject": rule.subject,
        "when": when_text(kb, rule.resume_day, treated_on),
    }
    return Verdict(entry.id, rule, allowed, rule.resume_day, fill(template, values))


def milestones(procedure: Procedure) -> list[Milestone]:
    """Every day on which something becomes allowed again, in order (the whole plan of a procedure)."""
    found = [
        Milestone(
            rule.resume_day, entry.id, rule.subject, rule.discouraged, held=rule.held, announce=rule.announce
        )
        for entry in procedure.entries
        if entry.restriction is not None
        for rule in entry.restriction.all_rules
    ]
    return sorted(found, key=lambda m: (m.day, m.entry_id, m.subject))


def status_on(procedure: Procedure, day: int) -> tuple[list[Milestone], list[Milestone]]:
    """What is allowed on `day` and what is still on hold (with the day it comes back)."""
    allowed: list[Milestone] = []
    on_hold: list[Milestone] = []
    for milestone in milestones(procedure):
        (allowed if day >= milestone.day else on_hold).append(milestone)
    return allowed, on_hold


def allowed_from_today(procedure: Procedure, day: int) -> list[Milestone]:
    """What becomes allowed exactly on `day` (for the check-in of that day)."""
    return [m for m in milestones(procedure) if m.day == day]
