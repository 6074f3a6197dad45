"""The answering engine: screen for warning signs, match, and compose a reply for the patient's day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from bot.core.matcher import DEFAULT_THRESHOLD, MAX_TOPICS, Match, Matcher
from bot.core.model import CourseLine, Entry, Kind, KnowledgeBase, Procedure, Tier
from bot.core.recovery import Verdict, entry_values, verdict
from bot.core.text import MAX_INPUT_CHARS, fill
from bot.core.triage import Screener, Screening

MAX_REPLY_CHARS = 4096
"""Telegram's limit for one message."""

# Beside a warning sign, which other answers still follow the safety reply. A symptom speaks there only in its
# late wording ("it is now day 12: this should have settled"), never "this is normal"; an emergency or a
# crisis gets nothing but the safety reply.
_BESIDE_SIGNS: dict[Tier, tuple[Kind, ...]] = {
    Tier.CRISIS: (),
    Tier.EMERGENCY: (),
    Tier.SAME_DAY: (Kind.RESTRICTION, Kind.ADVICE, Kind.INFO, Kind.SYMPTOM),
    Tier.ROUTINE: (Kind.RESTRICTION, Kind.ADVICE, Kind.INFO, Kind.SYMPTOM),
}


@dataclass(frozen=True)
class Clinic:
    """How the clinic is named and reached; filled into warning-sign replies.

    A detail left unset is worded by the knowledge base (`clinic.name`, `clinic.phone`,
    `clinic.emergency_number`, `clinic.crisis_line` in messages.yaml), e.g. "the number on your aftercare
    sheet". `crisis_line` is who to call in a crisis (thoughts of suicide or self-harm, an overdose).
    """

    name: str | None = None
    phone: str | None = None
    emergency_number: str | None = None
    crisis_line: str | None = None

    def with_defaults(self, kb: KnowledgeBase) -> Clinic:
        """This clinic with every unset detail taken from the knowledge base's wording."""
        return Clinic(
            name=self.name or kb.message("clinic.name"),
            phone=self.phone or kb.message("clinic.phone"),
            emergency_number=self.emergency_number or kb.message("clinic.emergency_number"),
            crisis_line=self.crisis_line or kb.message("clinic.crisis_line"),
        )

    def values(self) -> dict[str, str]:
        """Placeholder values for templates."""
        return {
            "clinic_name": self.name or "",
            "clinic_phone": self.phone or "",
            "emergency_number": self.emergency_number or "",
            "crisis_line": self.crisis_line or "",
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
    hand_over: bool = False
    """The reply hands the patient over to the clinic's team (a question about price, booking, ...): the front
    end offers "Talk to a person" with it, as for the `human` entry."""

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
            "hand_over": self.hand_over,
            "answer": self.text,
        }


def _names_of_others(kb: KnowledgeBase, procedure_id: str) -> tuple[str, ...]:
    """Every name of the knowledge base's procedures other than `procedure_id`."""
    return tuple(
        name
        for pid, other in kb.procedures.items()
        if pid != procedure_id
        for name in (other.name, other.title, *other.aliases)
    )


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


class Engine:
    """Answers patients' questions for every procedure in a knowledge base."""

    def __init__(self, kb: KnowledgeBase, clinic: Clinic | None = None, threshold: float = DEFAULT_THRESHOLD):
        self.kb = kb
        self.clinic = (clinic or Clinic()).with_defaults(kb)
        self.matchers = {
            pid: Matcher(p, kb.language, threshold, other_names=_names_of_others(kb, pid))
            for pid, p in kb.procedures.items()
        }
        # Variants share their words but not their days (a sign may count from another day), hence one
        # screener per (procedure, variant); None stands for the default variant.
        self.screeners: dict[tuple[str, str | None], Screener] = {
            (pid, None): Screener(p, kb.language, _names_of_others(kb, pid))
            for pid, p in kb.procedures.items()
        }
        self.screeners.update(
            {key: Screener(p, kb.language, _names_of_others(kb, key[0])) for key, p in kb.variants.items()}
        )

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
        if screening is not None and screening.tier is Tier.CRISIS:
            return self._crisis(question, procedure, day, screening)
        match = self.matchers[procedure_id].match(question)
        note = fill(self.kb.message("matching.too_long"), values) if len(question) > MAX_INPUT_CHARS else None
        if screening is not None:
            return self._escalate(question, procedure, day, treated_on, screening, match, note)
        if match.before:
            before = self._before(question, procedure, day, treated_on, match, note)
            if before is not None:
                return before
        if match.course and procedure.course:
            return self._course(question, procedure, day, treated_on, match, values)
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

    def _crisis(self, question: str, procedure: Procedure, day: int | None, screening: Screening) -> Answer:
        """Thoughts of suicide or self-harm, or an overdose: the crisis line and the clinic, and nothing about
        aftercare. A warning sign told in the same message that needs a person today (vision going after
        filler) still gets its own instruction, right after the crisis reply: neither hides the other."""
        values = self.values(procedure, day=day if day is not None else "")
        parts = [fill(self.kb.message("crisis.reply"), values)]
        fired = [s for s in procedure.signs if s.id in screening.signs and s.tier.is_red_flag]
        if fired:
            top = min((s.tier for s in fired), key=lambda t: t.rank)
            own = next((s.reply for s in fired if s.reply and s.tier is top), None)
            parts.append(fill(own or procedure.tier_replies[top], self.values(procedure, day=day or 0)))
        safety = "\n\n".join(parts)
        return Answer(
            question, day, None, (), 1.0, Tier.CRISIS, None, None, (), safety, (), alert_tier=Tier.CRISIS
        )

    def _before(
        self,
        question: str,
        procedure: Procedure,
        day: int | None,
        treated_on: date | None,
        match: Match,
        note: str | None,
    ) -> Answer | None:
        """A question about the time before the treatment (the matcher chose the preparation answer, led by
        an entry that speaks about the time before itself): never an after-care verdict."""
        if match.entry_id is None:
            return None
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
            with_verdicts=False,
        )

    def _course(
        self,
        question: str,
        procedure: Procedure,
        day: int | None,
        treated_on: date | None,
        match: Match,
        values: dict[str, object],
    ) -> Answer:
        """A general question about the days after ("what will I look like?"): what is normal, for the
        patient's day when it is known, else day by day; then the answers to the message's other questions
        ("..., can I cover it with makeup?")."""
        lines = procedure.course_on(day) or procedure.course
        if day is not None and procedure.course_on(day):
            intro = fill(self.kb.message("course.on_day"), values)
            body = "\n".join(line.text for line in lines)
        else:
            intro = fill(self.kb.message("course.by_day"), values)
            bullet = self.kb.message("checkins.bullet", "- ")
            body = "\n".join(f"{bullet}{self._course_days(line)}: {line.text}" for line in lines)
        outro = fill(self.kb.message("course.outro"), values)
        text = "\n\n".join(p for p in (f"{intro}\n{body}", outro) if p.strip())
        topics = match.topics[:1]
        course = Answer(
            question, day, match.entry_id, topics, match.confidence, None, None, None, (), None, (text,)
        )
        others = match.topics[1:]
        if not others:
            return course
        rest = self._reply(
            question,
            procedure,
            day,
            treated_on,
            topic=others[0],
            topics=others,
            answer_ids=others,
            confidence=match.confidence,
            note=None,
        )
        return replace(rest, topic=match.entry_id, topics=match.topics, sections=(text, *rest.sections))

    def _course_days(self, line: CourseLine) -> str:
        key = "course.days_one" if line.from_day == line.until_day else "course.days_range"
        return fill(self.kb.message(key), {"from_day": line.from_day, "until_day": line.until_day})

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
        # What the patient asks about when it is itself a warning sign ("could that be a cold sore?"), else
        # the sign's own topic, else a red-flag entry the question also touched.
        asked = procedure.entry(match.entry_id) if match.entry_id else None
        if asked is not None and asked.kind is Kind.RED_FLAG:
            topic: str | None = asked.id
        else:
            topic = screening.topic or (flagged[0].id if flagged else match.entry_id)
        # Other questions in the same message still get their answers after the safety reply (see
        # _BESIDE_SIGNS). A symptom beside a "book a check" reply speaks of what is no longer expected: its
        # late answer, never its "this is normal" text.
        kinds = _BESIDE_SIGNS[screening.tier]
        candidates = [
            e for e in (procedure.entry(t) for t in dict.fromkeys((topic, *match.topics)) if t) if e
        ]
        others = tuple(
            e.id for e in candidates if e.kind in kinds and (e.kind is not Kind.SYMPTOM or e.symptom)
        )[:MAX_TOPICS]
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
            late=True,
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
        with_verdicts: bool = True,
        late: bool = False,
    ) -> Answer:
        """Compose the answer texts for `answer_ids` around a safety reply.

        Restriction verdicts are included unless `with_verdicts` is False (a question about the time before);
        symptoms speak in their late wording when `late` (beside a warning sign)."""
        sections: list[str] = []
        verdicts: list[Verdict] = []
        words = self.matchers[procedure.id].stems(question)
        if len(answer_ids) > 1 and with_verdicts and self.kb.message("matching.multi_intro"):
            sections.append(fill(self.kb.message("matching.multi_intro"), self.values(procedure)))
        for entry in (procedure.entry(i) for i in answer_ids):
            if entry is None:
                continue
            body, found = self._entry_text(procedure, entry, words, day, treated_on, with_verdicts, late)
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
            hand_over=topic is not None and topic in procedure.hand_overs,
        )

    def _entry_text(
        self,
        procedure: Procedure,
        entry: Entry,
        words: list[str],
        day: int | None,
        treated_on: date | None,
        with_verdict: bool = True,
        late: bool = False,
    ) -> tuple[str, Verdict | None]:
        values = self.values(procedure, day=day if day is not None else "")
        values.update(entry_values(self.kb, entry, treated_on))
        matcher = self.matchers[procedure.id]
        rule = matcher.rule_for(entry, words)
        if rule is not None and with_verdict:
            tomorrow = matcher.asks_about_tomorrow(words)
            found = verdict(self.kb, entry, rule, day, treated_on, tomorrow=tomorrow)
            return f"{found.text} {fill(entry.answer, values)}", found
        if entry.symptom is not None and (late or (day is not None and day > entry.symptom.normal_until_day)):
            return fill(entry.symptom.late_answer, values), None
        return fill(entry.answer, values), None
