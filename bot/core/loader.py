"""Load and validate a knowledge-base folder into domain objects, collecting `file:line: message` problems."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import ValidationError

from bot.core.language import CrisisCue, Language
from bot.core.model import (
    CheckinOption,
    CheckinPlan,
    CheckinStep,
    CourseLine,
    Entry,
    Kind,
    KnowledgeBase,
    Procedure,
    Restriction,
    RestrictionRule,
    SymptomTiming,
    Tier,
    Variant,
    VerdictTexts,
    WarningQuestion,
    WarningSign,
)
from bot.core.schema import (
    CheckinStepModel,
    EntryModel,
    LanguageFileModel,
    MessagesFileModel,
    ProcedureFileModel,
    RestrictionModel,
    RuleModel,
    TogetherCueModel,
)
from bot.core.text import Stemming, SuffixRule
from bot.core.yamlsafe import MAX_BYTES, LoadedYaml, YamlProblem, load_yaml_text

MESSAGES_FILE = "messages.yaml"
LANGUAGE_FILE = "language.yaml"
READ_DEADLINE_SECONDS = 1.0


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a knowledge-base file."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class LoadResult:
    """What loading a folder produced: a knowledge base when usable, and every problem found."""

    kb: KnowledgeBase | None
    problems: list[Problem]
    lines: dict[str, LoadedYaml]
    partial: KnowledgeBase | None = None
    """When some file is unusable: the procedures that did load (with the language file when it loaded), so
    that `kb check` can report their problems in the same run instead of one kind of problem at a time."""


Monotonic = Callable[[], float]
"""Seconds on a monotonic clock (the caller's `time.monotonic`): the core does not read the time itself."""


def load_folder(folder: Path, monotonic: Monotonic | None = None) -> LoadResult:
    """Read every `*.yaml` in `folder`; the knowledge base is None when any file is unusable.

    With `monotonic`, a file that takes more than a second to parse is refused (a hostile or runaway file).
    """
    problems: list[Problem] = []
    if not folder.is_dir():
        return LoadResult(None, [Problem(str(folder), 0, "not a folder")], {})
    files = sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
    if not files:
        return LoadResult(None, [Problem(str(folder), 0, "no .yaml files in this folder")], {})
    procedures: dict[str, Procedure] = {}
    variants: dict[tuple[str, str], Procedure] = {}
    messages: dict[str, object] | None = None
    language: Language | None = None
    loaded_files: dict[str, LoadedYaml] = {}
    for path in files:
        name = str(path)
        loaded = _read(path, problems, monotonic)
        if loaded is None:
            continue
        loaded_files[name] = loaded
        if path.name == MESSAGES_FILE:
            messages = _messages(name, loaded, problems)
            continue
        if path.name == LANGUAGE_FILE:
            language = _language(name, loaded, problems)
            continue
        found = _procedure(name, loaded, problems)
        if not found:
            continue
        procedure = found[0]
        if procedure.id in procedures:
            line = loaded.line_of(("procedure", "id"))
            problems.append(
                Problem(name, line, f"procedure id '{procedure.id}' is also used by another file")
            )
            continue
        procedures[procedure.id] = procedure
        variants.update({(p.id, p.variant): p for p in found if p.variant is not None})
    if messages is None and not any(p.file.endswith(MESSAGES_FILE) for p in problems):
        problems.append(Problem(str(folder / MESSAGES_FILE), 0, "missing: the shared wording file"))
    if language is None and not any(p.file.endswith(LANGUAGE_FILE) for p in problems):
        problems.append(Problem(str(folder / LANGUAGE_FILE), 0, "missing: the file of how messages are read"))
    if not procedures and not problems:
        problems.append(Problem(str(folder), 0, "no procedure files in this folder"))
    if problems or messages is None or language is None:
        partial = None
        if language is not None:
            partial = KnowledgeBase(procedures, messages or {}, variants, language)
        return LoadResult(None, sorted(problems), loaded_files, partial)
    return LoadResult(KnowledgeBase(procedures, messages, variants, language), [], loaded_files)


def _read(path: Path, problems: list[Problem], monotonic: Monotonic | None) -> LoadedYaml | None:
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            problems.append(Problem(name, 1, f"file is larger than {MAX_BYTES // 1_000_000} MB"))
            return None
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(name, 0, f"cannot read: {exc.strerror or exc}"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(name, line, "not UTF-8 text"))
        return None
    started = monotonic() if monotonic else 0.0
    try:
        loaded = load_yaml_text(text)
    except YamlProblem as exc:
        problems.append(Problem(name, exc.line, exc.message))
        return None
    if monotonic is not None and monotonic() - started > READ_DEADLINE_SECONDS:
        problems.append(Problem(name, 1, "file took too long to read; split it or simplify it"))
        return None
    if loaded.data is None:
        problems.append(Problem(name, 1, "file is empty"))
        return None
    if not isinstance(loaded.data, dict):
        problems.append(
            Problem(name, 1, "the file must be a mapping of sections (key: value), not a list or text")
        )
        return None
    return loaded


def _validation_problems(name: str, loaded: LoadedYaml, error: ValidationError) -> list[Problem]:
    problems: dict[tuple[Any, ...], Problem] = {}
    for item in error.errors():
        loc, tags, at_tag = _data_loc(loaded.data, tuple(item["loc"]))
        by_variant = any(t.startswith("dict[") for t in tags)
        if tags and isinstance(at_tag, dict) != by_variant:
            continue  # the union member that does not fit the value's shape: its error says nothing
        if loc in problems:  # the other members of a union ("a number, or one per variant") say the same
            continue
        where = _dotted(loc, loaded.data)
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        elif item["type"] == "missing":
            message = "required key is missing"
        elif tags and not by_variant:
            message += " (or one value per variant: a mapping from variant id or 'default')"
        problems[loc] = Problem(name, loaded.line_of(loc), f"{where}: {message}")
    return list(problems.values())


def _is_tag(part: str) -> bool:
    return (
        part in {"int", "str", "float", "bool", "list", "dict"}
        or "[" in part
        or part.startswith(("constrained", "function", "literal"))
    )


def _data_loc(data: object, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[str], object]:
    """Pydantic's error location without the names of union members (`resume_day.int`), which are not keys
    of the file; those names are returned apart, with the value where the first one stood."""
    kept: list[Any] = []
    tags: list[str] = []
    at_tag: object = None
    node: object = data
    for part in loc:
        if isinstance(part, str) and part not in (node if isinstance(node, dict) else {}) and _is_tag(part):
            at_tag = node if not tags else at_tag
            tags.append(part)
        elif isinstance(node, dict):
            kept.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            kept.append(part)
            node = node[part] if 0 <= part < len(node) else None
        elif node is None:
            kept.append(part)
        else:
            tags.append(str(part))
    return tuple(kept), tags, at_tag


def _dotted(loc: tuple[Any, ...], data: object = None) -> str:
    """`entries[retinoids].restriction.resume_day`: an item of a list is named by its `id` when it has one
    (the clinic searches the file for the id; a position in a long list is hard to count), else by index."""
    text = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            text += f"[{ident}]" if isinstance(ident, str) and ident else f"[{part}]"
            node = item
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "file"


def _messages(name: str, loaded: LoadedYaml, problems: list[Problem]) -> dict[str, object] | None:
    try:
        MessagesFileModel.model_validate(loaded.data)
    except ValidationError as exc:
        problems.extend(_validation_problems(name, loaded, exc))
        return None
    bad = _non_text_values(loaded.data, ())
    for path in bad:
        problems.append(
            Problem(
                name,
                loaded.line_of(path),
                f"{_dotted(path, loaded.data)}: must be text or a list of texts",
            )
        )
    return None if bad else dict(loaded.data)


def _language(name: str, loaded: LoadedYaml, problems: list[Problem]) -> Language | None:
    try:
        model = LanguageFileModel.model_validate(loaded.data)
    except ValidationError as exc:
        problems.extend(_validation_problems(name, loaded, exc))
        return None
    return language_from_model(model)


def language_from_model(model: LanguageFileModel) -> Language:
    """The domain object for a validated language file."""
    s, q, sc = model.stemming, model.questions, model.screening
    stemming = Stemming(
        suffixes=tuple(SuffixRule(x.suffix, x.replace, x.min_length) for x in s.suffixes),
        plural_exceptions=tuple(s.plural_exceptions),
        keep_double=frozenset(s.keep_double),
        drop_final=frozenset(s.drop_final),
        keep=frozenset(s.keep),
        function_words=frozenset(model.words.stopwords) | frozenset(model.words.negations),
        negations=frozenset(model.words.negations),
        shortest=s.shortest,
    )
    return Language(
        stopwords=frozenset(model.words.stopwords),
        hedges=frozenset(model.words.hedges),
        frame=frozenset(model.words.frame),
        negations=frozenset(model.words.negations),
        contractions=MappingProxyType(dict(model.words.contractions)),
        stemming=stemming,
        plurals=tuple(s.plurals),
        leading=frozenset(q.leading),
        anywhere=frozenset(q.anywhere),
        pairs=tuple(q.pairs),
        statement_starts=frozenset(q.statement_starts),
        list_starts=frozenset(q.list_starts),
        someone_else=frozenset(q.someone_else),
        first_person=frozenset(q.first_person),
        treatment_words=frozenset(q.treatment_words),
        refers_back=frozenset(q.refers_back),
        points_back=tuple(q.points_back),
        procedure_pronouns=frozenset(q.procedure_pronouns),
        determiners=frozenset(q.determiners),
        joiners=tuple(q.joiners),
        restriction=tuple(q.restriction),
        symptom=tuple(q.symptom),
        tomorrow=tuple(q.tomorrow),
        preparation_topic=model.timing.preparation_topic,
        before=tuple(model.timing.before),
        not_before=tuple(model.timing.not_before),
        own_appointment=tuple(model.timing.own_appointment),
        course=tuple(model.course.cues),
        other_procedures=tuple(model.other_procedures.names),
        other_procedure_before=tuple(model.other_procedures.before),
        other_procedure_asked_of=tuple(model.other_procedures.asked_of),
        other_procedure_after=tuple(model.other_procedures.after),
        other_procedure_compare=tuple(model.other_procedures.compare),
        other_procedure_timing=tuple(model.other_procedures.timing),
        clause_breaks=tuple(sc.clause_breaks),
        coordinators=frozenset(sc.coordinators),
        list_fillers=frozenset(sc.list_fillers),
        asks_about=tuple(sc.asks_about),
        reports=tuple(sc.reports),
        never_reports=tuple(sc.never_reports),
        mild=tuple(sc.mild),
        improving=tuple(sc.improving),
        asks_in_general=tuple(sc.asks_in_general),
        personal=frozenset(sc.personal),
        expected=tuple(sc.expected),
        continues_asking=tuple(sc.continues_asking),
        general_question_starts=frozenset(sc.general_question_starts),
        others_people=frozenset(sc.others.people),
        others_pronouns=frozenset(sc.others.pronouns),
        others_owners=frozenset(sc.others.owners),
        crisis=tuple(model.crisis.phrases),
        crisis_injuries=tuple(model.crisis.injuries),
        crisis_accidents=tuple(model.crisis.accidents),
        crisis_others_before=tuple(model.crisis.others.before),
        crisis_others_after=tuple(model.crisis.others.after),
        crisis_weak=tuple(model.crisis.weak),
        crisis_supporting=tuple(model.crisis.supporting),
        crisis_signals=MappingProxyType({k: tuple(v) for k, v in model.crisis.signals.items()}),
        crisis_mild_signals=MappingProxyType({k: tuple(v) for k, v in model.crisis.mild_signals.items()}),
        crisis_together=tuple(_crisis_cue(cue) for cue in model.crisis.together),
        crisis_aftercare=tuple(model.crisis.aftercare),
        crisis_exclusions=tuple(model.crisis.exclusions),
        crisis_spellings=MappingProxyType(dict(model.crisis.spellings)),
        crisis_ignored=frozenset(model.crisis.ignored),
        crisis_not_typos=frozenset(model.crisis.not_typos),
        crisis_count_from=model.crisis.count_from,
        crisis_count_doses=frozenset(model.crisis.count_doses),
        crisis_count_things=frozenset(model.crisis.count_things),
        crisis_counted=frozenset(model.crisis.counted),
        crisis_numbers=frozenset(model.crisis.numbers),
        crisis_others_between=frozenset(model.crisis.others.between),
        crisis_others_objects=frozenset(model.crisis.others.objects),
        crisis_count_as=model.crisis.count_as or "",
        crisis_count_unless_before=frozenset(model.crisis.count_unless_before),
        crisis_count_unless_after=frozenset(model.crisis.count_unless_after),
    )


def _crisis_cue(cue: list[list[str]] | TogetherCueModel) -> CrisisCue:
    if isinstance(cue, TogetherCueModel):
        groups = tuple(tuple(group) for group in cue.groups)
        return CrisisCue(groups, tuple(cue.unless), cue.weak)
    return CrisisCue(tuple(tuple(group) for group in cue))


def _non_text_values(node: object, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    if isinstance(node, str):
        return []
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _non_text_values(value, (*path, str(key)))]
    if isinstance(node, list):
        return [p for index, value in enumerate(node) for p in _non_text_values(value, (*path, index))]
    return [path]


VARIANT_KEYS = frozenset(
    {"resume_day", "normal_until_day", "from_day", "answer", "late_answer", "text", "reply"}
)
"""Keys whose value may be a mapping from variant id (or `default`) to the value."""
DEFAULT_VARIANT = "default"


def _variant_ids(data: object) -> list[str]:
    """The variant ids a procedure file declares (read before its shape is checked, to check more at once)."""
    info = data.get("procedure") if isinstance(data, dict) else None
    listed = info.get("variants") if isinstance(info, dict) else None
    items = listed if isinstance(listed, list) else []
    return [str(v["id"]) for v in items if isinstance(v, dict) and isinstance(v.get("id"), str)]


def _variant_problems(name: str, loaded: LoadedYaml, variants: list[str]) -> list[Problem]:
    """A by-variant value must name known variants (or `default`) and cover every one of them."""
    problems: list[Problem] = []
    known = set(variants) | {DEFAULT_VARIANT}

    def walk(node: object, path: tuple[str | int, ...]) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, index))
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            child = (*path, str(key))
            if key in VARIANT_KEYS and isinstance(value, dict):
                line = loaded.line_of(child)
                unknown = sorted(str(k) for k in value if k not in known)
                missing = [v for v in variants if v not in value and DEFAULT_VARIANT not in value]
                if unknown:
                    problems.append(
                        Problem(
                            name, line, f"{_dotted(child, loaded.data)}: unknown variant {', '.join(unknown)}"
                        )
                    )
                elif missing or not value:
                    listed = ", ".join(missing) or "any"
                    problems.append(
                        Problem(
                            name,
                            line,
                            f"{_dotted(child, loaded.data)}: no value for {listed} (add it or 'default')",
                        )
                    )
            else:
                walk(value, child)

    walk(loaded.data, ())
    return problems


def _procedure(name: str, loaded: LoadedYaml, problems: list[Problem]) -> list[Procedure]:
    """The procedure of a file, once per variant (the default variant first); [] when it has problems."""
    variants = _variant_ids(loaded.data)
    found = _variant_problems(name, loaded, variants)
    try:
        model = ProcedureFileModel.model_validate(loaded.data)
    except ValidationError as exc:
        problems.extend([*_validation_problems(name, loaded, exc), *found])
        return []
    if len(set(variants)) != len(variants) or DEFAULT_VARIANT in variants:
        line = loaded.line_of(("procedure", "variants"))
        found.append(Problem(name, line, "variant ids must differ (and not be 'default')"))
    seen: dict[str, int] = {}
    for index, entry in enumerate(model.entries):
        line = loaded.line_of(("entries", index, "id"))
        if entry.id in seen:
            found.append(
                Problem(name, line, f"duplicate entry id '{entry.id}' (first used on line {seen[entry.id]})")
            )
        seen.setdefault(entry.id, line)
        if entry.kind == "restriction" and entry.restriction is None:
            found.append(
                Problem(name, line, f"entry '{entry.id}': a restriction needs a 'restriction:' block")
            )
        if entry.kind != "restriction" and entry.restriction is not None:
            found.append(
                Problem(name, line, f"entry '{entry.id}': only kind 'restriction' may have 'restriction:'")
            )
        if entry.symptom is not None and entry.kind not in ("symptom", "red_flag"):
            found.append(Problem(name, line, f"entry '{entry.id}': only symptoms may have 'symptom:'"))
        rule_ids = [r.id for r in (entry.restriction.rules if entry.restriction else []) if r.id]
        if len(set(rule_ids)) != len(rule_ids):
            found.append(Problem(name, line, f"entry '{entry.id}': rule ids must differ"))
    sign_ids: set[str] = set()
    for index, sign in enumerate(model.warning_signs.signs):
        line = loaded.line_of(("warning_signs", "signs", index))
        if sign.id in sign_ids:
            found.append(Problem(name, line, f"duplicate warning sign id '{sign.id}'"))
        sign_ids.add(sign.id)
        if sign.topic is not None and sign.topic not in seen:
            found.append(
                Problem(name, line, f"warning sign '{sign.id}': topic '{sign.topic}' is not an entry id")
            )
    found.extend(_step_problems(name, loaded, model, variants))
    for index, line_model in enumerate(model.course):
        line = loaded.line_of(("course", index))
        if line_model.until_day < line_model.from_day:
            found.append(Problem(name, line, "course: until_day must not come before from_day"))
        found.extend(_unknown_variants(name, line, line_model.variants, variants))
    option_ids = [option.id for option in model.checkins.options]
    if len(set(option_ids)) != len(option_ids):
        found.append(
            Problem(name, loaded.line_of(("checkins", "options")), "check-in option ids must differ")
        )
    if found:
        problems.extend(found)
        return []
    chosen: list[str | None] = [*variants] or [None]
    return [_to_domain(name, loaded, model, v) for v in chosen]


def _unknown_variants(name: str, line: int, listed: list[str], variants: list[str]) -> list[Problem]:
    unknown = [v for v in listed if v not in variants]
    return [Problem(name, line, f"unknown variant {', '.join(unknown)}")] if unknown else []


def _step_day(step: CheckinStepModel) -> int:
    return step.day if step.day is not None else (step.after_hours or 0) // 24


def _step_problems(
    name: str, loaded: LoadedYaml, model: ProcedureFileModel, variants: list[str]
) -> list[Problem]:
    """Each step has `day` or `after_hours`; no two steps of one variant fall on the same day."""
    found: list[Problem] = []
    for index, step in enumerate(model.checkins.steps):
        line = loaded.line_of(("checkins", "steps", index))
        if (step.day is None) == (step.after_hours is None):
            found.append(Problem(name, line, "a check-in step needs either 'day' or 'after_hours'"))
        found.extend(_unknown_variants(name, line, step.variants, variants))
    chosen: list[str | None] = [*variants] or [None]
    for variant in chosen:
        days = [_step_day(s) for s in model.checkins.steps if _for(s.variants, variant)]
        if len(set(days)) != len(days):
            where = f" (variant {variant})" if variant else ""
            found.append(
                Problem(
                    name, loaded.line_of(("checkins", "steps")), f"check-in days must be different{where}"
                )
            )
    return found


T = TypeVar("T")


def _pick(value: T | dict[str, T], variant: str | None) -> T:
    """The value for `variant` of a value that may be written per variant."""
    if not isinstance(value, dict):
        return value
    if variant is not None and variant in value:
        return value[variant]
    return value[DEFAULT_VARIANT] if DEFAULT_VARIANT in value else next(iter(value.values()))


def _for(variants: list[str], variant: str | None) -> bool:
    """Whether something limited to `variants` (none: all) applies to `variant`."""
    return not variants or variant is None or variant in variants


def _texts(model: RestrictionModel | RuleModel) -> VerdictTexts:
    return VerdictTexts(
        not_yet=model.not_yet,
        from_today=model.from_today,
        allowed=model.allowed,
        unknown_day=model.unknown_day,
    )


def _entry(index: int, loaded: LoadedYaml, model: EntryModel, variant: str | None) -> Entry:
    restriction = None
    if model.restriction is not None:
        r = model.restriction
        restriction = Restriction(
            main=RestrictionRule(
                subject=r.subject,
                resume_day=_pick(r.resume_day, variant),
                texts=_texts(r),
                discouraged=r.discouraged,
                announce=r.announce,
            ),
            rules=tuple(
                RestrictionRule(
                    subject=rule.subject,
                    resume_day=_pick(rule.resume_day, variant),
                    keywords=tuple(rule.keywords),
                    texts=_texts(rule),
                    id=rule.id,
                    discouraged=rule.discouraged,
                    announce=rule.announce,
                )
                for rule in r.rules
            ),
        )
    symptom = None
    if model.symptom is not None:
        symptom = SymptomTiming(
            _pick(model.symptom.normal_until_day, variant), _pick(model.symptom.late_answer, variant)
        )
    return Entry(
        id=model.id,
        kind=Kind(model.kind),
        title=model.title,
        examples=tuple(model.examples),
        keywords=tuple(model.keywords),
        answer=_pick(model.answer, variant),
        restriction=restriction,
        symptom=symptom,
        line=loaded.line_of(("entries", index)),
    )


def _to_domain(name: str, loaded: LoadedYaml, model: ProcedureFileModel, variant: str | None) -> Procedure:
    tiers = model.warning_signs.tiers
    plan = model.checkins
    return Procedure(
        id=model.procedure.id,
        name=model.procedure.name,
        title=model.procedure.title,
        aliases=tuple(model.procedure.aliases),
        treats=tuple(model.procedure.treats),
        kinds=tuple(model.procedure.kinds),
        entries=tuple(_entry(i, loaded, e, variant) for i, e in enumerate(model.entries)),
        tier_replies={
            Tier.EMERGENCY: _pick(tiers.emergency.reply, variant),
            Tier.SAME_DAY: _pick(tiers.same_day.reply, variant),
            Tier.ROUTINE: _pick(tiers.routine.reply, variant),
        },
        signs=tuple(
            WarningSign(
                id=s.id,
                tier=Tier(s.tier),
                phrases=tuple(s.phrases),
                topic=s.topic,
                with_any=tuple(s.with_any),
                from_day=None if s.from_day is None else _pick(s.from_day, variant),
                mild_tier=Tier(s.mild_tier) if s.mild_tier else None,
                reply=None if s.reply is None else _pick(s.reply, variant),
                alert_tier=Tier(s.alert_tier) if s.alert_tier else None,
                unless=tuple(s.unless),
            )
            for s in model.warning_signs.signs
        ),
        checkins=CheckinPlan(
            options=tuple(CheckinOption(o.id, o.label) for o in plan.options),
            steps=tuple(
                sorted(
                    (
                        CheckinStep(_step_day(s), _pick(s.text, variant), s.after_hours)
                        for s in plan.steps
                        if _for(s.variants, variant)
                    ),
                    key=lambda s: s.day,
                )
            ),
            warning_questions=tuple(
                WarningQuestion(Tier(q.tier), q.text) for q in plan.warning_questions or ()
            ),
        ),
        source=name,
        topics={
            topic: Kind.CONVERSATION if kind == "other" else Kind(kind)
            for topic, kind in model.topics.items()
        },
        hand_overs=frozenset(topic for topic, kind in model.topics.items() if kind == "other"),
        variants=tuple(Variant(v.id, v.title) for v in model.procedure.variants),
        variant=variant,
        course=tuple(
            CourseLine(c.from_day, c.until_day, _pick(c.text, variant))
            for c in model.course
            if _for(c.variants, variant)
        ),
    )
