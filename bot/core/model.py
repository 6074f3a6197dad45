"""Domain objects of the knowledge base: plain, immutable dataclasses built from validated YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.core.language import Language


class Kind(StrEnum):
    """What kind of knowledge an entry holds."""

    RESTRICTION = "restriction"
    SYMPTOM = "symptom"
    ADVICE = "advice"
    INFO = "info"
    RED_FLAG = "red_flag"
    CONVERSATION = "conversation"


class Tier(StrEnum):
    """Urgency of a warning sign, from most to least urgent.

    `CRISIS` is for thoughts of suicide or self-harm and overdoses: it comes before every procedure's signs,
    is read from the language file, and its reply gives the crisis line first.
    """

    CRISIS = "crisis"
    EMERGENCY = "emergency"
    SAME_DAY = "same_day"
    ROUTINE = "routine"

    @property
    def rank(self) -> int:
        """0 for the most urgent tier."""
        return list(Tier).index(self)

    @property
    def is_red_flag(self) -> bool:
        """True for tiers that must reach a person today."""
        return self in (Tier.CRISIS, Tier.EMERGENCY, Tier.SAME_DAY)


@dataclass(frozen=True)
class VerdictTexts:
    """Optional overrides of the restriction verdict sentences."""

    not_yet: str | None = None
    from_today: str | None = None
    allowed: str | None = None
    unknown_day: str | None = None


@dataclass(frozen=True)
class RestrictionRule:
    """One thing that is paused until a given day (the main rule or a more specific product)."""

    subject: str
    resume_day: int
    keywords: tuple[str, ...] = ()
    texts: VerdictTexts = field(default_factory=VerdictTexts)
    id: str | None = None
    discouraged: bool = False
    """Something a clinic never encourages (smoking): the end of the wait says the healing break is over,
    never "you can restart"."""
    announce: bool = True
    """False for something the patient does not wait to restart (daily sunscreen from day 1): check-ins do
    not list it as allowed again."""
    held: bool = False
    """True when a provider's hold for this patient moved the day later than the knowledge base's."""


@dataclass(frozen=True)
class Restriction:
    """The main rule of a restriction entry plus more specific rules chosen by keyword."""

    main: RestrictionRule
    rules: tuple[RestrictionRule, ...] = ()

    @property
    def all_rules(self) -> tuple[RestrictionRule, ...]:
        """The main rule followed by the specific ones."""
        return (self.main, *self.rules)

    def held_until(self, day: int) -> Restriction:
        """This restriction with no rule ending before `day` (a provider's hold: later, never earlier)."""

        def hold(rule: RestrictionRule) -> RestrictionRule:
            return replace(rule, resume_day=day, held=True) if rule.resume_day < day else rule

        return Restriction(hold(self.main), tuple(hold(r) for r in self.rules))


@dataclass(frozen=True)
class SymptomTiming:
    """Until which day a symptom is expected, and what to say after that."""

    normal_until_day: int
    late_answer: str


@dataclass(frozen=True)
class Entry:
    """One thing the bot knows: how patients ask about it and what to answer."""

    id: str
    kind: Kind
    title: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    restriction: Restriction | None = None
    symptom: SymptomTiming | None = None
    line: int = 0


@dataclass(frozen=True)
class WarningSign:
    """A phrase pattern that means a patient needs a person, with its urgency tier.

    `reply` replaces the tier's reply for this sign; `alert_tier` is the priority of the staff alert when it
    must be higher than the tier (a blocked vessel: same-day advice for the patient, top priority for staff).
    """

    id: str
    tier: Tier
    phrases: tuple[str, ...]
    topic: str | None = None
    with_any: tuple[str, ...] = ()
    from_day: int | None = None
    mild_tier: Tier | None = None
    reply: str | None = None
    alert_tier: Tier | None = None
    unless: tuple[str, ...] = ()
    """Phrases that, in the same clause as the sign, mean something normal ("a bruise that went purple")."""


@dataclass(frozen=True)
class CheckinOption:
    """A reply button under a check-in message."""

    id: str
    label: str


@dataclass(frozen=True)
class CheckinStep:
    """A check-in message sent on a given day after treatment, at the check-in time; or, with
    `after_hours`, that many hours after the treatment was recorded (`day` is then the day it falls on)."""

    day: int
    text: str
    after_hours: int | None = None


@dataclass(frozen=True)
class WarningQuestion:
    """One warning-sign question asked after "Something's wrong"."""

    tier: Tier
    text: str


@dataclass(frozen=True)
class CheckinPlan:
    """The days a procedure's patients are checked on, and the reply options.

    `warning_questions` replaces the shared ones of messages.yaml for this procedure when not empty."""

    options: tuple[CheckinOption, ...]
    steps: tuple[CheckinStep, ...]
    warning_questions: tuple[WarningQuestion, ...] = ()


@dataclass(frozen=True)
class CourseLine:
    """What is normal from `from_day` until `until_day` (both included)."""

    from_day: int
    until_day: int
    text: str


@dataclass(frozen=True)
class Variant:
    """A kind of the procedure that changes days and texts (a medium peel, lip filler)."""

    id: str
    title: str


@dataclass(frozen=True)
class Procedure:
    """Everything the bot knows about one procedure."""

    id: str
    name: str
    title: str
    aliases: tuple[str, ...]
    entries: tuple[Entry, ...]
    tier_replies: dict[Tier, str]
    signs: tuple[WarningSign, ...]
    checkins: CheckinPlan
    source: str = ""
    treats: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    """Words naming a kind of the treatment before the last word of its name ("a TCA peel")."""
    topics: Mapping[str, Kind] = field(default_factory=dict)
    """The canonical topic ids this procedure must cover, with the kind of their entry."""
    variants: tuple[Variant, ...] = ()
    variant: str | None = None
    """The variant these days and texts are for (None for a procedure without variants)."""
    course: tuple[CourseLine, ...] = ()
    hand_overs: frozenset[str] = frozenset()
    """Entries that hand the patient over to the clinic's team (topics of kind `other`, e.g. questions about
    price or booking): the front end offers a person with them."""

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with this id, if any."""
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        return None

    def with_holds(self, holds: Mapping[str, int]) -> Procedure:
        """This procedure with a provider's holds for one patient: entry id -> the day it may resume, never
        earlier than the knowledge base's own day. Unknown ids and non-restrictions are ignored."""
        if not holds:
            return self
        entries = tuple(
            replace(e, restriction=e.restriction.held_until(holds[e.id]))
            if e.restriction is not None and e.id in holds
            else e
            for e in self.entries
        )
        return replace(self, entries=entries)

    def course_on(self, day: int | None) -> tuple[CourseLine, ...]:
        """The normal-course lines for `day` (every line when the day is unknown)."""
        if day is None:
            return self.course
        return tuple(line for line in self.course if line.from_day <= day <= line.until_day)


@dataclass(frozen=True)
class KnowledgeBase:
    """All procedures and the shared wording.

    `procedures` holds each procedure for its default variant; `variants` every (procedure, variant) pair.
    """

    procedures: dict[str, Procedure]
    messages: dict[str, object]
    variants: dict[tuple[str, str], Procedure] = field(default_factory=dict)
    language: Language = field(default_factory=Language)
    """How patients' messages are read (`language.yaml`)."""

    def procedure(self, procedure_id: str, variant: str | None = None) -> Procedure:
        """The procedure's days and texts for `variant` (its default variant when None or unknown);
        KeyError for an unknown procedure."""
        base = self.procedures[procedure_id]
        if variant is None:
            return base
        return self.variants.get((procedure_id, variant), base)

    def message(self, path: str, default: str = "") -> str:
        """A shared text by dotted path, e.g. ``matching.did_you_mean``."""
        node: object = self.messages
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node if isinstance(node, str) else default

    def message_list(self, path: str) -> list[str]:
        """A shared list of texts by dotted path (empty when missing)."""
        node: object = self.messages
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return []
            node = node[part]
        return [str(item) for item in node] if isinstance(node, list) else []
