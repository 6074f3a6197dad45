"""Domain objects of the knowledge base: plain, immutable dataclasses built from validated YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What kind of knowledge an entry holds."""

    RESTRICTION = "restriction"
    SYMPTOM = "symptom"
    ADVICE = "advice"
    INFO = "info"
    RED_FLAG = "red_flag"
    CONVERSATION = "conversation"


class Tier(StrEnum):
    """Urgency of a warning sign, from most to least urgent."""

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
        return self in (Tier.EMERGENCY, Tier.SAME_DAY)


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


@dataclass(frozen=True)
class Restriction:
    """The main rule of a restriction entry plus more specific rules chosen by keyword."""

    main: RestrictionRule
    rules: tuple[RestrictionRule, ...] = ()

    @property
    def all_rules(self) -> tuple[RestrictionRule, ...]:
        """The main rule followed by the specific ones."""
        return (self.main, *self.rules)


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
    """A phrase pattern that means a patient needs a person, with its urgency tier."""

    id: str
    tier: Tier
    phrases: tuple[str, ...]
    topic: str | None = None
    with_any: tuple[str, ...] = ()
    from_day: int | None = None
    mild_tier: Tier | None = None


@dataclass(frozen=True)
class CheckinOption:
    """A reply button under a check-in message."""

    id: str
    label: str


@dataclass(frozen=True)
class CheckinStep:
    """A check-in message sent on a given day after treatment."""

    day: int
    text: str


@dataclass(frozen=True)
class CheckinPlan:
    """The days a procedure's patients are checked on, and the reply options."""

    options: tuple[CheckinOption, ...]
    steps: tuple[CheckinStep, ...]


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

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with this id, if any."""
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        return None


@dataclass(frozen=True)
class KnowledgeBase:
    """All procedures and the shared wording."""

    procedures: dict[str, Procedure]
    messages: dict[str, object]

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
