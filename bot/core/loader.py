"""Load and validate a knowledge-base folder into domain objects, collecting `file:line: message` problems."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.core.model import (
    CheckinOption,
    CheckinPlan,
    CheckinStep,
    Entry,
    Kind,
    KnowledgeBase,
    Procedure,
    Restriction,
    RestrictionRule,
    SymptomTiming,
    Tier,
    VerdictTexts,
    WarningSign,
)
from bot.core.schema import (
    EntryModel,
    MessagesFileModel,
    ProcedureFileModel,
    RestrictionModel,
    RuleModel,
)
from bot.core.yamlsafe import MAX_BYTES, LoadedYaml, YamlProblem, load_yaml_text

MESSAGES_FILE = "messages.yaml"
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


def load_folder(folder: Path) -> LoadResult:
    """Read every `*.yaml` in `folder`; the knowledge base is None when any file is unusable."""
    problems: list[Problem] = []
    if not folder.is_dir():
        return LoadResult(None, [Problem(str(folder), 0, "not a folder")], {})
    files = sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
    if not files:
        return LoadResult(None, [Problem(str(folder), 0, "no .yaml files in this folder")], {})
    procedures: dict[str, Procedure] = {}
    messages: dict[str, object] | None = None
    loaded_files: dict[str, LoadedYaml] = {}
    for path in files:
        name = str(path)
        loaded = _read(path, problems)
        if loaded is None:
            continue
        loaded_files[name] = loaded
        if path.name == MESSAGES_FILE:
            messages = _messages(name, loaded, problems)
            continue
        procedure = _procedure(name, loaded, problems)
        if procedure is None:
            continue
        if procedure.id in procedures:
            line = loaded.line_of(("procedure", "id"))
            problems.append(
                Problem(name, line, f"procedure id '{procedure.id}' is also used by another file")
            )
            continue
        procedures[procedure.id] = procedure
    if messages is None and not any(p.file.endswith(MESSAGES_FILE) for p in problems):
        problems.append(Problem(str(folder / MESSAGES_FILE), 0, "missing: the shared wording file"))
    if not procedures and not problems:
        problems.append(Problem(str(folder), 0, "no procedure files in this folder"))
    if problems or messages is None:
        return LoadResult(None, sorted(problems), loaded_files)
    return LoadResult(KnowledgeBase(procedures=procedures, messages=messages), [], loaded_files)


def _read(path: Path, problems: list[Problem]) -> LoadedYaml | None:
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
    started = time.monotonic()
    try:
        loaded = load_yaml_text(text)
    except YamlProblem as exc:
        problems.append(Problem(name, exc.line, exc.message))
        return None
    if time.monotonic() - started > READ_DEADLINE_SECONDS:
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
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        where = _dotted(loc)
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        elif item["type"] == "missing":
            message = "required key is missing"
        problems.append(Problem(name, loaded.line_of(loc), f"{where}: {message}"))
    return problems


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
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
            Problem(name, loaded.line_of(path), f"{_dotted(path)}: must be text or a list of texts")
        )
    return None if bad else dict(loaded.data)


def _non_text_values(node: object, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    if isinstance(node, str):
        return []
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _non_text_values(value, (*path, str(key)))]
    if isinstance(node, list):
        return [p for index, value in enumerate(node) for p in _non_text_values(value, (*path, index))]
    return [path]


def _procedure(name: str, loaded: LoadedYaml, problems: list[Problem]) -> Procedure | None:
    try:
        model = ProcedureFileModel.model_validate(loaded.data)
    except ValidationError as exc:
        problems.extend(_validation_problems(name, loaded, exc))
        return None
    found: list[Problem] = []
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
    days = [step.day for step in model.checkins.steps]
    if len(set(days)) != len(days):
        found.append(Problem(name, loaded.line_of(("checkins", "steps")), "check-in days must be different"))
    option_ids = [option.id for option in model.checkins.options]
    if len(set(option_ids)) != len(option_ids):
        found.append(
            Problem(name, loaded.line_of(("checkins", "options")), "check-in option ids must differ")
        )
    if found:
        problems.extend(found)
        return None
    return _to_domain(name, loaded, model)


def _texts(model: RestrictionModel | RuleModel) -> VerdictTexts:
    return VerdictTexts(
        not_yet=model.not_yet,
        from_today=model.from_today,
        allowed=model.allowed,
        unknown_day=model.unknown_day,
    )


def _entry(index: int, loaded: LoadedYaml, model: EntryModel) -> Entry:
    restriction = None
    if model.restriction is not None:
        r = model.restriction
        restriction = Restriction(
            main=RestrictionRule(subject=r.subject, resume_day=r.resume_day, texts=_texts(r)),
            rules=tuple(
                RestrictionRule(
                    subject=rule.subject,
                    resume_day=rule.resume_day,
                    keywords=tuple(rule.keywords),
                    texts=_texts(rule),
                )
                for rule in r.rules
            ),
        )
    symptom = None
    if model.symptom is not None:
        symptom = SymptomTiming(model.symptom.normal_until_day, model.symptom.late_answer)
    return Entry(
        id=model.id,
        kind=Kind(model.kind),
        title=model.title,
        examples=tuple(model.examples),
        keywords=tuple(model.keywords),
        answer=model.answer,
        restriction=restriction,
        symptom=symptom,
        line=loaded.line_of(("entries", index)),
    )


def _to_domain(name: str, loaded: LoadedYaml, model: ProcedureFileModel) -> Procedure:
    tiers = model.warning_signs.tiers
    return Procedure(
        id=model.procedure.id,
        name=model.procedure.name,
        title=model.procedure.title,
        aliases=tuple(model.procedure.aliases),
        treats=tuple(model.procedure.treats),
        entries=tuple(_entry(i, loaded, e) for i, e in enumerate(model.entries)),
        tier_replies={
            Tier.EMERGENCY: tiers.emergency.reply,
            Tier.SAME_DAY: tiers.same_day.reply,
            Tier.ROUTINE: tiers.routine.reply,
        },
        signs=tuple(
            WarningSign(
                id=s.id,
                tier=Tier(s.tier),
                phrases=tuple(s.phrases),
                topic=s.topic,
                with_any=tuple(s.with_any),
                from_day=s.from_day,
                mild_tier=Tier(s.mild_tier) if s.mild_tier else None,
            )
            for s in model.warning_signs.signs
        ),
        checkins=CheckinPlan(
            options=tuple(CheckinOption(o.id, o.label) for o in model.checkins.options),
            steps=tuple(
                sorted((CheckinStep(s.day, s.text) for s in model.checkins.steps), key=lambda s: s.day)
            ),
        ),
        source=name,
    )
