"""The answering engine: screen for warning signs, match, and compose a reply for the patient's day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.core.matcher import DEFAULT_THRESHOLD, MAX_TOPICS, Match, Matcher
from bot.core.model import Entry, Kind, KnowledgeBase, Procedure, Tier
from bot.core.recovery import Verdict, entry_values, pick_rule, verdict
from bot.core.text import MAX_INPUT_CHARS, fill, stem
from bot.core.triage import Screener, Screening

MAX_REPLY_CHARS = 4096
"""Telegram's limit for one message."""

_TOMORROW = frozenset(
    stem(w) for w in ("tomorrow", "tomorow", "tommorow", "tommorrow", "tmrw", "tmr", "tmrrw", "2moro")
)


@dataclass(frozen=True)
class Clinic:
    """How the clinic is named and reached; filled into warning-sign replies.

    A detail left unset is worded by the knowledge base (`clinic.name`, `clinic.phone`,
    `clinic.emergency_number` in messages.yaml), e.g. "the number on your aftercare sheet".
    """

    name: str | None = None
    phone: str | None = None
    emergency_number: str | None = None

    def with_defaults(self, kb: KnowledgeBase) -> Clinic:
        """This clinic with every unset detail taken from the knowledge base's wording."""
        return Clinic(
            name=self.name or kb.message("clinic.name"),
            phone=self.phone or kb.message("clinic.phone"),
            emergency_number=self.emergency_number or kb.message("clinic.emergency_number"),
        )

    def values(self) -> dict[str, str]:
        """Placeholder values for templates."""
        return {
            "clinic_name": self.name or "",
            "clinic_phone": self.phone or "",
            "emergency_number": self.emergency_number or "",
        }


@dataclass(frozen=True)
class Suggestion:
    """An entry offered under "Did you mean ...?"."""

    id: str
    title: str


@dataclass(frozen=True)
class Answer:
    """Everything the bot decided about one message, as plain data for any front end."""

    question: str
    day: int | None
    topic: str | None
    topics: tuple[str, ...]
    confidence: float
    urgency: Tier | None
    allowed_now: bool | None
    allowed_from_day: int | None
    suggestions: tuple[Suggestion, ...]
    safety: str | None
    sections: tuple[str, ...]
    verdicts: tuple[Verdict, ...] = field(default=(), compare=False)
    alert_tier: Tier | None = None
    """The priority of the staff alert (the urgency, or higher when the warning sign asks for it)."""

    @property
    def red_flag(self) -> bool:
        """True when the clinic must be involved today."""
        return self.urgency is not None and self.urgency.is_red_flag

    @property
    def abstained(self) -> bool:
        """True when the bot did not answer a topic (it offers suggestions or a person instead)."""
        return self.topic is None

    @property
    def text(self) -> str:
        """The whole reply as one message, at most 4,096 characters."""
        parts = [p for p in (self.safety, *self.sections) if p]
        if self.suggestions:
            parts.append("\n".join(f"- {s.title}" for s in self.suggestions))
        return _clip("\n\n".join(parts), MAX_REPLY_CHARS)

    def to_json(self) -> dict[str, Any]:
        """The `aftercare ask --json` object."""
        return {
            "question": self.question,
            "day": self.day,
            "topic": self.topic,
            "topics": list(self.topics),
            "confidence": self.confidence,
            "urgency": self.urgency.value if self.urgency else None,
            "red_flag": self.red_flag,
            "allowed_now": self.allowed_now,
            "allowed_from_day": self.allowed_from_day,
            "suggestions": [s.id for s in self.suggestions],
            "answer": self.text,
        }


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


class Engine:
    """Answers patients' questions for every procedure in a knowledge base."""

    def __init__(self, kb: KnowledgeBase, clinic: Clinic | None = None, threshold: float = DEFAULT_THRESHOLD):
        self.kb = kb
        self.clinic = (clinic or Clinic()).with_defaults(kb)
        self.matchers = {pid: Matcher(p, threshold) for pid, p in kb.procedures.items()}
        # Variants share their words but not their days (a sign may count from another day), hence one
        # screener per (procedure, variant); None stands for the default variant.
        self.screeners: dict[tuple[str, str | None], Screener] = {
            (pid, None): Screener(p) for pid, p in kb.procedures.items()
        }
        self.screeners.update({key: Screener(p) for key, p in kb.variants.items()})

    @property
    def procedures(self) -> list[str]:
        """Ids of the procedures this engine knows."""
        return sorted(self.kb.procedures)

    def procedure(
        self, procedure_id: str, variant: str | None = None, holds: Mapping[str, int] | None = None
    ) -> Procedure:
        """The procedure with this id, with the days and texts of `variant` and a provider's `holds` (KeyError
        with the known ids when unknown)."""
        try:
            return self.kb.procedure(procedure_id, variant).with_holds(holds or {})
        except KeyError:
            raise KeyError(
                f"unknown procedure '{procedure_id}' (known: {', '.join(self.procedures)})"
            ) from None

    def screen(
        self, text: str, procedure_id: str, day: int | None, variant: str | None = None
    ) -> Screening | None:
        """The warning-sign screen alone (e.g. for a message typed during set-up)."""
        screener = self.screeners.get((procedure_id, variant)) or self.screeners[(procedure_id, None)]
        return screener.screen(text, day)

    def values(self, procedure: Procedure, **extra: object) -> dict[str, object]:
        """Placeholder values common to every text."""
        return {**self.clinic.values(), "procedure": procedure.name, **extra}

    def answer(
        self,
        question: str,
        procedure_id: str,
        day: int | None = None,
        treated_on: date | None = None,
        variant: str | None = None,
        holds: Mapping[str, int] | None = None,
    ) -> Answer:
        """Answer `question` for a patient on `day` of recovery (None when unknown), with the days of their
        `variant` and any provider's `holds` (entry id -> resume day)."""
        procedure = self.procedure(procedure_id, variant, holds)
        values = self.values(procedure, day=day if day is not None else "")
        if not question.strip():
            return self._bare(question, day, fill(self.kb.message("matching.empty"), values))
        screening = self.screen(question, procedure_id, day, variant)
        match = self.matchers[procedure_id].match(question)
        note = fill(self.kb.message("matching.too_long"), values) if len(question) > MAX_INPUT_CHARS else None
        if screening is not None:
            return self._escalate(question, procedure, day, treated_on, screening, match, note)
        if match.abstained:
            return self._abstain(question, procedure, day, match, values)
        return self._reply(
            question,
            procedure,
            day,
            treated_on,
            topic=match.entry_id,
            topics=match.topics,
            answer_ids=match.topics,
            confidence=match.confidence,
            note=note,
        )

    def answer_entry(
        self,
        procedure_id: str,
        entry_id: str,
        day: int | None = None,
        treated_on: date | None = None,
        variant: str | None = None,
        holds: Mapping[str, int] | None = None,
    ) -> Answer:
        """The reply for one entry as if the patient had asked about it (a pressed "Did you mean" button)."""
        procedure = self.procedure(procedure_id, variant, holds)
        entry = procedure.entry(entry_id)
        if entry is None:
            raise KeyError(f"unknown entry '{entry_id}' in procedure '{procedure_id}'")
        return self._reply(
            entry.title,
            procedure,
            day,
            treated_on,
            topic=entry.id,
            topics=(entry.id,),
            answer_ids=(entry.id,),
            confidence=1.0,
            note=None,
        )

    def _bare(self, question: str, day: int | None, text: str) -> Answer:
        return Answer(question, day, None, (), 0.0, None, None, None, (), None, (text,))

    def _abstain(
        self, question: str, procedure: Procedure, day: int | None, match: Match, values: dict[str, object]
    ) -> Answer:
        suggestions = tuple(
            Suggestion(entry.id, entry.title)
            for entry in (procedure.entry(i) for i in match.suggestions)
            if entry is not None and entry.kind is not Kind.CONVERSATION
        )
        key = "matching.did_you_mean" if suggestions else "matching.unknown"
        text = fill(self.kb.message(key), values)
        return Answer(question, day, None, (), match.confidence, None, None, None, suggestions, None, (text,))

    def _escalate(
        self,
        question: str,
        procedure: Procedure,
        day: int | None,
        treated_on: date | None,
        screening: Screening,
        match: Match,
        note: str | None,
    ) -> Answer:
        # A sign with its own reply (a blocked vessel) speaks for itself; otherwise the tier's reply.
        fired = [s for s in procedure.signs if s.id in screening.signs]
        own = next((s.reply for s in fired if s.reply and s.tier is screening.tier), None)
        template = own or procedure.tier_replies[screening.tier]
        safety = fill(template, self.values(procedure, day=day or 0))
        alert_tier = min(
            (s.alert_tier or s.tier for s in fired if s.tier is screening.tier),
            key=lambda t: t.rank,
            default=screening.tier,
        )
        matched = [e for e in (procedure.entry(t) for t in match.topics) if e is not None]
        flagged = [e for e in matched if e.kind is Kind.RED_FLAG]
        topic = flagged[0].id if flagged else (screening.topic or match.entry_id)
        # Other questions in the same message still get their answers after the safety reply. Beside a
        # same-day sign, symptom texts ("mild itching is normal") are left out: they would play it down. An
        # emergency gets nothing but the safety reply, so that nothing distracts from it.
        kinds = {
            Tier.EMERGENCY: (),
            Tier.SAME_DAY: (Kind.RESTRICTION, Kind.ADVICE, Kind.INFO),
            Tier.ROUTINE: (Kind.RESTRICTION, Kind.ADVICE, Kind.INFO, Kind.SYMPTOM),
        }[screening.tier]
        candidates = [
            e for e in (procedure.entry(t) for t in dict.fromkeys((topic, *match.topics)) if t) if e
        ]
        others = tuple(e.id for e in candidates if e.kind in kinds)[:MAX_TOPICS]
        topics = tuple(dict.fromkeys(t for t in (topic, *others) if t))[:MAX_TOPICS]
        return self._reply(
            question,
            procedure,
            day,
            treated_on,
            topic=topic,
            topics=topics,
            answer_ids=others,
            confidence=max(match.confidence, 0.9),
            note=note,
            urgency=screening.tier,
            safety=safety,
            alert_tier=min(alert_tier, screening.tier, key=lambda t: t.rank),
        )

    def _reply(
        self,
        question: str,
        procedure: Procedure,
        day: int | None,
        treated_on: date | None,
        *,
        topic: str | None,
        topics: tuple[str, ...],
        answer_ids: tuple[str, ...],
        confidence: float,
        note: str | None,
        urgency: Tier | None = None,
        safety: str | None = None,
        alert_tier: Tier | None = None,
    ) -> Answer:
        """Compose the answer texts for `answer_ids` (restriction verdicts included) around a safety reply."""
        sections: list[str] = []
        verdicts: list[Verdict] = []
        words = self.matchers[procedure.id].stems(question)
        if len(answer_ids) > 1 and self.kb.message("matching.multi_intro"):
            sections.append(fill(self.kb.message("matching.multi_intro"), self.values(procedure)))
        for entry in (procedure.entry(i) for i in answer_ids):
            if entry is None:
                continue
            body, found = self._entry_text(procedure, entry, words, day, treated_on)
            sections.append(body)
            if found is not None:
                verdicts.append(found)
        if note:
            sections.append(note)
        primary = next((v for v in verdicts if v.entry_id == topic), None)
        return Answer(
            question=question,
            day=day,
            topic=topic,
            topics=topics,
            confidence=round(confidence, 3),
            urgency=urgency,
            allowed_now=primary.allowed_now if primary else None,
            allowed_from_day=primary.from_day if primary else None,
            suggestions=(),
            safety=safety,
            sections=tuple(sections),
            verdicts=tuple(verdicts),
            alert_tier=alert_tier or urgency,
        )

    def _entry_text(
        self,
        procedure: Procedure,
        entry: Entry,
        words: list[str],
        day: int | None,
        treated_on: date | None,
    ) -> tuple[str, Verdict | None]:
        values = self.values(procedure, day=day if day is not None else "")
        values.update(entry_values(self.kb, entry, treated_on))
        rule = pick_rule(entry, words)
        if rule is not None:
            found = verdict(self.kb, entry, rule, day, treated_on, tomorrow=not _TOMORROW.isdisjoint(words))
            return f"{found.text} {fill(entry.answer, values)}", found
        if entry.symptom is not None and day is not None and day > entry.symptom.normal_until_day:
            return fill(entry.symptom.late_answer, values), None
        return fill(entry.answer, values), None
