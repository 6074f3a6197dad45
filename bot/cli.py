"""The `aftercare` command: the same engine as the bot, for clinics, developers and scripts."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.core.answer import Answer, Engine
from bot.core.recovery import recovery_day
from bot.core.validate import check_folder
from bot.evaluation import EvalFileError, evaluate, parse_items, render
from bot.knowledge_source import KnowledgeError, knowledge_folder, load_engine

DEFAULT_PROCEDURE = "microneedling"
MAX_DAY = 365


class UsageError(Exception):
    """A bad argument: reported as one line, exit code 2."""


def _day(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of days") from None
    if not 0 <= value <= MAX_DAY:
        raise argparse.ArgumentTypeError(f"day must be between 0 (the treatment day) and {MAX_DAY}")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-23") from None


def _engine(args: argparse.Namespace) -> Engine:
    engine = load_engine(knowledge_folder(args.knowledge))
    if args.procedure not in engine.kb.procedures:
        known = ", ".join(engine.procedures)
        raise UsageError(f"unknown procedure '{args.procedure}' (known: {known})")
    return engine


def _resolve_day(args: argparse.Namespace, today: date) -> tuple[int | None, date | None]:
    treated_on: date | None = getattr(args, "treated_on", None)
    if treated_on is None:
        return args.day, None
    day = recovery_day(treated_on, today)
    if day < 0:
        raise UsageError(f"--treated-on {treated_on.isoformat()} is in the future")
    if day > MAX_DAY:
        raise UsageError(f"--treated-on {treated_on.isoformat()} is more than a year ago")
    return day, treated_on


def cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    """Print the answer a patient on the given day would get."""
    engine = _engine(args)
    day, treated_on = _resolve_day(args, date.today())
    answer = engine.answer(args.question, args.procedure, day=day, treated_on=treated_on)
    if args.json:
        out.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
    else:
        out.write(answer.text + "\n")
    return 0


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    """Score the engine on a labelled YAML question file."""
    engine = _engine(args)
    path = Path(args.file)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = parse_items(data)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    except EvalFileError as exc:
        raise UsageError(f"{path}: {exc}") from None
    report, answers = evaluate(engine, args.procedure, items)
    out.write(render(report) + "\n")
    if args.predictions:
        with open(args.predictions, "w", encoding="utf-8") as handle:
            for answer in answers:
                handle.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
    if args.gate and not report.passes_gate():
        out.write(
            "gate: FAILED (needs >= 95% accuracy, <= 2% confidently wrong, every warning sign escalated)\n"
        )
        return 1
    return 0


def cmd_kb_check(args: argparse.Namespace, out: TextIO) -> int:
    """Validate every knowledge-base file; one `file:line: message` per problem."""
    folder = knowledge_folder(args.folder)
    kb, problems = check_folder(folder)
    if kb is None:
        for problem in problems:
            out.write(f"{problem}\n")
        return 1
    entries = sum(len(p.entries) for p in kb.procedures.values())
    out.write(f"OK: {len(kb.procedures)} procedure(s), {entries} entries in {folder}\n")
    return 0


def cmd_chat(args: argparse.Namespace, out: TextIO, stdin: TextIO | None = None) -> int:
    """A local console conversation with the same engine the bot uses."""
    engine = _engine(args)
    day, treated_on = _resolve_day(args, date.today())
    procedure = engine.procedure(args.procedure)
    source = stdin or sys.stdin
    interactive = source.isatty()
    hello = engine.kb.message("console.hello", "Ask me anything about your aftercare. Ctrl-D to leave.")
    out.write(hello.replace("{procedure}", procedure.name) + "\n")
    last: Answer | None = None
    while True:
        if interactive:
            out.write("> ")
            out.flush()
        line = source.readline()
        if not line:
            break
        question = line.strip()
        if not question:
            continue
        if last is not None and last.suggestions and question.isdigit():
            index = int(question) - 1
            if 0 <= index < len(last.suggestions):
                question = last.suggestions[index].title
        answer = engine.answer(question, args.procedure, day=day, treated_on=treated_on)
        out.write(_console_text(answer) + "\n\n")
        out.flush()
        last = answer
    out.write(engine.kb.message("console.goodbye", "Take care!") + "\n")
    return 0


def _console_text(answer: Answer) -> str:
    if not answer.suggestions:
        return answer.text
    lines = [p for p in (answer.safety, *answer.sections) if p]
    lines += [f"  {n}. {s.title}" for n, s in enumerate(answer.suggestions, start=1)]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="aftercare",
        description="Aftercare assistant for aesthetic clinics. Without a command: the bot when "
        "TELEGRAM_BOT_TOKEN is set, otherwise a local chat.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--procedure", default=DEFAULT_PROCEDURE, help="procedure id (default: %(default)s)")
        p.add_argument(
            "--knowledge", metavar="FOLDER", help="knowledge base folder (default: the shipped one)"
        )

    ask = sub.add_parser("ask", help="answer one question as the bot would")
    ask.add_argument("question")
    common(ask)
    when = ask.add_mutually_exclusive_group()
    when.add_argument("--day", type=_day, help="day of recovery (0 = treatment day)")
    when.add_argument("--treated-on", type=_date, metavar="YYYY-MM-DD", help="treatment date")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.set_defaults(handler=cmd_ask)

    ev = sub.add_parser("eval", help="score the engine on a labelled YAML question file")
    ev.add_argument("file")
    common(ev)
    ev.add_argument("--predictions", metavar="OUT.jsonl", help="write one `ask --json` object per item")
    ev.add_argument("--gate", action="store_true", help="exit 1 unless the release bar is met")
    ev.set_defaults(handler=cmd_eval)

    chat = sub.add_parser("chat", help="talk to the assistant in this terminal")
    common(chat)
    when = chat.add_mutually_exclusive_group()
    when.add_argument("--day", type=_day, help="day of recovery (0 = treatment day)")
    when.add_argument("--treated-on", type=_date, metavar="YYYY-MM-DD", help="treatment date")
    chat.set_defaults(handler=cmd_chat)

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    check = kb_sub.add_parser("check", help="validate the knowledge base files")
    check.add_argument("folder", nargs="?", help="folder to check (default: the one in use)")
    check.set_defaults(handler=cmd_kb_check)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the `aftercare` command; returns the exit code."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        default = "run" if os.environ.get("TELEGRAM_BOT_TOKEN") and "run" in _commands(parser) else "chat"
        args = parser.parse_args([default, *(argv or [])])
    handler: Callable[[argparse.Namespace, TextIO], int] = args.handler
    try:
        return handler(args, out)
    except UsageError as exc:
        sys.stderr.write(f"aftercare: {exc}\n")
        return 2
    except KnowledgeError as exc:
        sys.stderr.write("aftercare: the knowledge base has problems:\n")
        for problem in exc.problems:
            sys.stderr.write(f"{problem}\n")
        return 1
    except KeyboardInterrupt:
        out.write("\n")
        return 130


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            choices: dict[str, Any] = action.choices
            return set(choices)
    return set()


if __name__ == "__main__":
    sys.exit(main())
