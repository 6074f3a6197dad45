"""The `aftercare` command: the same engine as the bot, for clinics, developers and scripts."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import yaml

from bot import logsafe
from bot.bootstrap import DatabaseUnavailable, open_all, open_store
from bot.config import Config, ConfigError, check_timezone, check_token, load_config
from bot.core.answer import Answer, Engine
from bot.core.recovery import recovery_day
from bot.core.validate import check_folder
from bot.evaluation import EvalFileError, evaluate, parse_items, render
from bot.instance_lock import AlreadyRunning, InstanceLock
from bot.knowledge_source import KnowledgeError, knowledge_folder, load_engine
from bot.services import Services
from bot.services.views import DateStatus

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


def cmd_kb_suggest(args: argparse.Namespace, out: TextIO) -> int:
    """Print a ready-to-paste YAML snippet for each group of questions the bot could not answer."""
    from bot.core.grouping import group_questions
    from bot.core.loader import load_folder
    from bot.core.suggest import snippet, suggest
    from bot.storage import reports

    folder = knowledge_folder(args.knowledge)
    result = load_folder(folder)
    if result.kb is None:
        raise KnowledgeError(result.problems)
    config = _config(False, {"AFTERCARE_DB": args.db})
    if not config.db_path.exists():
        raise UsageError(f"no database at {config.db_path} (set AFTERCARE_DB or pass --db)")
    since = (datetime.now(UTC) - timedelta(days=args.since)).isoformat(timespec="seconds")
    try:
        store = open_store(config.db_path)
    except DatabaseUnavailable as exc:
        raise UsageError(str(exc)) from None
    try:
        rows = store.call(reports.unanswered_since, since)
    finally:
        store.close()
    documents = []
    for procedure in sorted(result.kb.procedures.values(), key=lambda p: p.id):
        groups = group_questions(text for pid, text in rows if pid == procedure.id)
        documents += [snippet(s) for s in suggest(result, procedure, groups)]
    if not documents:
        out.write(f"# no unanswered questions in the last {args.since} days\n")
        return 0
    out.write("\n---\n".join(documents) + "\n")
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


def _config(require_token: bool, overrides: dict[str, str | None]) -> Config:
    try:
        return load_config(os.environ, require_token=require_token, overrides=overrides)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the Telegram bot with long polling until SIGTERM or Ctrl-C."""
    config = _config(
        True,
        {"AFTERCARE_DB": args.db, "AFTERCARE_API_URL": args.api_url, "AFTERCARE_KNOWLEDGE": args.knowledge},
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logsafe.install([config.token, config.link_secret or ""])
    lock = InstanceLock(config.lock_path)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        holder = f" (pid {exc})" if str(exc) else ""
        sys.stderr.write(
            f"aftercare: another bot is already running on {config.db_path}{holder}; not starting\n"
        )
        return 1
    except OSError as exc:
        raise UsageError(f"cannot open the database {config.db_path}: {exc.strerror or exc}") from None
    try:
        services = _open_all(config, knowledge_folder(args.knowledge))
        try:
            services.deps.store.call(services.privacy.purge)
            from bot.telegram.app import StartFailed, run  # Telegram is only imported when the bot runs

            try:
                run(config, services)
            except StartFailed as exc:
                sys.stderr.write(f"aftercare: {exc}\n")
                return exc.exit_code
        finally:
            services.deps.store.close()
    finally:
        lock.release()
    return 0


def _open_all(config: Config, knowledge: Path) -> Services:
    """`open_all`, with a database that cannot be opened (missing folder, not SQLite) as one line."""
    try:
        return open_all(config, knowledge)
    except DatabaseUnavailable as exc:
        raise UsageError(str(exc)) from None


def _bot_username(config: Config, services: Services) -> str:
    if config.bot_username:
        return config.bot_username
    known = services.enrollment.known_bot_username()
    if known:
        return known
    if not config.token:
        raise UsageError("set AFTERCARE_BOT_USERNAME (or TELEGRAM_BOT_TOKEN, to ask Telegram for it)")
    from bot.telegram.identity import fetch_username

    try:
        return fetch_username(check_token(config.token), config.api_url)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:  # any Telegram or network error: one line, no traceback with the token
        raise UsageError(f"could not ask the Bot API for the bot's username ({type(exc).__name__})") from None


def cmd_enroll(args: argparse.Namespace, out: TextIO) -> int:
    """Print a signed, single-use deep link for one patient (and optionally a QR code PNG of it)."""
    config = _config(False, {"AFTERCARE_DB": args.db})
    try:
        zone = check_timezone(args.tz or config.timezone)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if args.qr:
        check_writable(Path(args.qr))  # before the invite exists: no link is handed out for nothing
    services = _open_all(config, knowledge_folder(args.knowledge))
    try:
        if args.procedure not in services.deps.engine.kb.procedures:
            known = ", ".join(services.deps.engine.procedures)
            raise UsageError(f"unknown procedure '{args.procedure}' (known: {known})")
        check = services.enrollment.check_date(args.treated_on, zone)
        if check.status is DateStatus.FUTURE:
            raise UsageError(f"--treated-on {args.treated_on.isoformat()} is in the future")
        if check.status is DateStatus.TOO_OLD:
            raise UsageError(f"--treated-on {args.treated_on.isoformat()} is more than a year ago")
        username = _bot_username(config, services)
        invitation = services.deps.store.call(
            services.enrollment.create_invite,
            username,
            args.procedure,
            args.treated_on,
            zone,
            args.name,
            args.days,
        )
    finally:
        services.deps.store.close()
    out.write(invitation.url + "\n")
    out.write(f"single use, valid until {invitation.expires_at[:16].replace('T', ' ')} UTC\n")
    if args.qr:
        write_qr(invitation.url, Path(args.qr))
        out.write(f"QR code written to {args.qr}\n")
    return 0


def check_writable(path: Path) -> None:
    """UsageError unless a file can be written at `path` (a file created to find out is removed again)."""
    existed = path.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    if not existed:
        path.unlink(missing_ok=True)


def write_qr(url: str, path: Path) -> None:
    """A PNG QR code of `url`, for the front desk to print or show."""
    import qrcode

    try:
        qrcode.make(url).save(str(path))
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _valid_days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of days") from None
    if not 1 <= value <= 90:
        raise argparse.ArgumentTypeError("a link is valid for 1 to 90 days")
    return value


def _days_back(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of days") from None
    if not 1 <= value <= 365:
        raise argparse.ArgumentTypeError("--since takes 1 to 365 days")
    return value


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

    run = sub.add_parser("run", help="run the Telegram bot (long polling; settings from the environment)")
    run.add_argument("--db", metavar="FILE", help="SQLite database (default: AFTERCARE_DB or ./aftercare.db)")
    run.add_argument(
        "--api-url", metavar="URL", help="Bot API base URL (default: AFTERCARE_API_URL or Telegram)"
    )
    run.add_argument("--knowledge", metavar="FOLDER", help="knowledge base folder (default: the shipped one)")
    run.set_defaults(handler=cmd_run)

    enroll = sub.add_parser("enroll", help="print a signed single-use enrollment link for one patient")
    common(enroll)
    enroll.add_argument(
        "--treated-on", type=_date, metavar="YYYY-MM-DD", required=True, help="treatment date"
    )
    enroll.add_argument(
        "--tz", metavar="AREA/CITY", help="the patient's time zone (default: AFTERCARE_TIMEZONE)"
    )
    enroll.add_argument("--name", help="the patient's first name, used in the greeting")
    enroll.add_argument("--qr", metavar="FILE.png", help="also write a QR code of the link")
    enroll.add_argument("--days", type=_valid_days, help="days the link stays valid (default: 14)")
    enroll.add_argument(
        "--db", metavar="FILE", help="SQLite database (default: AFTERCARE_DB or ./aftercare.db)"
    )
    enroll.set_defaults(handler=cmd_enroll)

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    check = kb_sub.add_parser("check", help="validate the knowledge base files")
    check.add_argument("folder", nargs="?", help="folder to check (default: the one in use)")
    check.set_defaults(handler=cmd_kb_check)
    suggest = kb_sub.add_parser(
        "suggest", help="YAML to paste for questions the bot could not answer (from the bot's database)"
    )
    suggest.add_argument("--since", type=_days_back, default=30, metavar="DAYS", help="default: 30")
    suggest.add_argument(
        "--knowledge", metavar="FOLDER", help="knowledge base folder (default: the one in use)"
    )
    suggest.add_argument(
        "--db", metavar="FILE", help="SQLite database (default: AFTERCARE_DB or ./aftercare.db)"
    )
    suggest.set_defaults(handler=cmd_kb_suggest)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the `aftercare` command; returns the exit code."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        default = "run" if os.environ.get("TELEGRAM_BOT_TOKEN") else "chat"
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


if __name__ == "__main__":
    sys.exit(main())
