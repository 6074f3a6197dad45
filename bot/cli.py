"""The `aftercare` command: the same services as the bot, for clinics, developers and scripts. Each command
reads its arguments, makes one service call and prints the outcome."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import TextIO, TypeVar

from bot.config import Config, ConfigError, check_timezone, check_token, load_config
from bot.services import Services
from bot.services.answering import Answering, DayError
from bot.services.clinic_folder import FolderRefused, make_clinic_folder
from bot.services.evaluation import (
    EvalFileError,
    evaluate,
    leave_one_out,
    read_items,
    render,
    render_calibration,
)
from bot.services.knowledge import (
    Knowledge,
    KnowledgeError,
    check,
    news_since_copy,
    shipped_folder,
    suggestions,
)
from bot.services.preview import NothingToPreview, Preview, Screen
from bot.services.views import DateStatus
from bot.storage import DatabaseMissing, DatabaseUnavailable, Store, reports
from bot.storage.backup import BackupFailed, backup
from bot.storage.lock import AlreadyRunning, InstanceLock
from bot.storage.secret import link_secret

MAX_DAY = 365
T = TypeVar("T", int, float)


def package_version() -> str:
    """The installed package's version."""
    try:
        return metadata.version("aftercare")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


class UsageError(Exception):
    """A bad argument: reported as one line, exit code 2."""


def _bounded(
    convert: Callable[[str], T], low: T, high: T, noun: str, out_of_range: str
) -> Callable[[str], T]:
    """An argparse type: `convert` the text, then keep it within [low, high]; one-line errors."""

    def parse(text: str) -> T:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not {noun}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(out_of_range)
        return value

    return parse


DAYS = "a whole number of days"
_day = _bounded(int, 0, MAX_DAY, DAYS, f"day must be between 0 (the treatment day) and {MAX_DAY}")
_valid_days = _bounded(int, 1, 90, DAYS, "a link is valid for 1 to 90 days")
_days_back = _bounded(int, 1, 365, DAYS, "--since takes 1 to 365 days")
_percent = _bounded(float, 0.0, 100.0, "a percentage", "a percentage is between 0 and 100")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-23") from None


def _config(require_token: bool = False, **overrides: str | None) -> Config:
    """The settings: flags, then the environment, then the clinic folder's .env (AFTERCARE_HOME or here)."""
    try:
        return load_config(os.environ, require_token=require_token, overrides=overrides, cwd=Path.cwd())
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _knowledge_folder(args: argparse.Namespace, config: Config) -> Path:
    """--knowledge, else AFTERCARE_KNOWLEDGE, else the clinic folder's knowledge/, else the shipped one."""
    explicit = getattr(args, "knowledge", None)
    if explicit:
        return Path(explicit)
    return config.knowledge_dir or shipped_folder()


def _procedure(args: argparse.Namespace, procedures: list[str]) -> str:
    """--procedure, or the only procedure of the knowledge base."""
    if args.procedure:
        return str(args.procedure)
    if len(procedures) == 1:
        return procedures[0]
    raise UsageError(f"say which procedure with --procedure ({', '.join(procedures)})")


def _answering(args: argparse.Namespace, choose: bool = False) -> Answering:
    """The engine with the clinic's settings; the procedure is checked (or, with `choose`, left to ask)."""
    config = _config()
    answering = Answering(Knowledge.load(_knowledge_folder(args, config), config.clinic))
    if choose and not args.procedure and len(answering.knowledge.engine.procedures) > 1:
        return answering
    args.procedure = _procedure(args, answering.knowledge.engine.procedures)
    problem = answering.check_procedure(args.procedure, getattr(args, "variant", None))
    if problem is not None:
        raise UsageError(problem)
    return answering


def _resolve_day(args: argparse.Namespace) -> tuple[int | None, date | None]:
    treated_on: date | None = getattr(args, "treated_on", None)
    if treated_on is None:
        return args.day, None
    try:
        return Answering.day_of(treated_on, date.today()), treated_on
    except DayError as exc:
        raise UsageError(str(exc)) from None


def cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    """Print the answer a patient on the given day would get."""
    answering = _answering(args)
    day, treated_on = _resolve_day(args)
    answer = answering.ask(args.question, args.procedure, day, treated_on, args.variant)
    out.write((json.dumps(answer.to_json(), ensure_ascii=False) if args.json else answer.text) + "\n")
    return 0


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    """Score the engine on a labelled YAML question file."""
    if args.predictions:
        check_writable(Path(args.predictions))  # before the run, not after it
    answering = _answering(args)
    path = Path(args.file)
    entry_ids = {e.id for e in answering.knowledge.engine.procedure(args.procedure).entries}
    try:
        items = read_items(path.read_text(encoding="utf-8"), entry_ids)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {path}: not UTF-8 text") from None
    except EvalFileError as exc:
        for problem in exc.problems:  # `file:line: message`, as `kb check` writes them
            sys.stderr.write(f"{path}:{problem.line}: {problem.message}\n")
        return 2
    report, answers = evaluate(answering.knowledge.engine, args.procedure, items, args.variant)
    out.write(render(report) + "\n")
    if args.calibrate:
        kb = answering.knowledge.engine.kb
        out.write(render_calibration(leave_one_out(kb, args.procedure)) + "\n")
    if args.predictions:
        with open(args.predictions, "w", encoding="utf-8") as handle:
            for answer in answers:
                handle.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
    if args.gate and not report.passes_gate(args.min_right, args.max_wrong):
        out.write(
            f"gate: FAILED (needs >= {args.min_right:g}% right, <= {args.max_wrong:g}% confidently wrong, "
            "every warning sign and crisis escalated in its tier, no false alarm)\n"
        )
        return 1
    return 0


def cmd_kb_check(args: argparse.Namespace, out: TextIO) -> int:
    """Validate every knowledge-base file; one `file:line: message` per problem."""
    folder = Path(args.folder) if args.folder else _knowledge_folder(args, _config())
    kb, problems = check(folder)
    if kb is None:
        for problem in problems:
            out.write(f"{problem}\n")
        return 1
    entries = sum(len(p.entries) for p in kb.procedures.values())
    out.write(f"OK: {len(kb.procedures)} procedure(s), {entries} entries in {folder}\n")
    if not args.folder:
        config = _config()
        state = "" if config.db_path.exists() else " (not made yet: `aftercare init` or `aftercare run`)"
        out.write(f"database: {config.db_path}{state}\n")
    shipped = shipped_folder()
    if folder.resolve() != shipped.resolve():
        for line in news_since_copy(kb, shipped):
            out.write(f"note: {line}\n")
    return 0


def _open_store(config: Config, create: bool) -> Store:
    """The clinic's database; only `init` and `run` create it, the others say where they looked."""
    try:
        return Store.open(config.db_path, create=create)
    except DatabaseMissing:
        raise UsageError(_no_database(config)) from None
    except DatabaseUnavailable as exc:
        raise UsageError(str(exc)) from None


def _no_database(config: Config) -> str:
    where = f"in the clinic folder {config.home}" if config.home else "here (no clinic folder found)"
    return (
        f"no database at {config.db_path}: looked {where}. Run this in the clinic folder, set AFTERCARE_HOME,"
        " or make one with `aftercare init FOLDER`"
    )


def cmd_kb_suggest(args: argparse.Namespace, out: TextIO) -> int:
    """Print a ready-to-paste YAML snippet for each group of questions the bot could not answer."""
    config = _config(AFTERCARE_DB=args.db)
    folder = _knowledge_folder(args, config)
    since = (datetime.now(UTC) - timedelta(days=args.since)).isoformat(timespec="seconds")
    store = _open_store(config, create=False)
    try:
        rows = store.call(reports.unanswered_since, since)
    finally:
        store.close()
    documents = suggestions(folder, rows)
    if not documents:
        out.write(f"# no unanswered questions in the last {args.since} days\n")
        return 0
    out.write("\n---\n".join(documents) + "\n")
    return 0


def _choose_procedure(answering: Answering, source: TextIO, out: TextIO, interactive: bool) -> str | None:
    """Ask which treatment, as the bot does: a number or a name; None at the end of input."""
    procedures = sorted(answering.knowledge.engine.kb.procedures.values(), key=lambda p: p.title)
    out.write(answering.text("bot.start_ask_procedure", "Which treatment did you have?") + "\n")
    out.write("".join(f"  {n}. {p.title}\n" for n, p in enumerate(procedures, start=1)))
    while True:
        if interactive:
            out.write("> ")
            out.flush()
        line = source.readline()
        if not line:
            return None
        choice = line.strip().lower()
        for number, procedure in enumerate(procedures, start=1):
            if choice in (str(number), procedure.id, procedure.title.lower(), procedure.name.lower()):
                return procedure.id


def cmd_chat(args: argparse.Namespace, out: TextIO, stdin: TextIO | None = None) -> int:
    """A local console conversation with the same engine the bot uses."""
    answering = _answering(args, choose=True)
    day, treated_on = _resolve_day(args)
    source = stdin or sys.stdin
    interactive = source.isatty()
    if not args.procedure:
        args.procedure = _choose_procedure(answering, source, out, interactive)
        if args.procedure is None:
            out.write(answering.text("console.goodbye", "Take care!") + "\n")
            return 0
    procedure = answering.knowledge.engine.procedure(args.procedure, args.variant)
    out.write(
        answering.text("console.hello", "Ask me anything. Ctrl-D to leave.", procedure=procedure.name) + "\n"
    )
    suggested: tuple[str, ...] = ()
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
        if suggested and question.isdecimal() and 0 < int(question) <= len(suggested):
            question = suggested[int(question) - 1]
        answer = answering.ask(question, args.procedure, day, treated_on, args.variant)
        out.write(answering.console_text(answer) + "\n\n")
        out.flush()
        suggested = tuple(s.title for s in answer.suggestions)
    out.write(answering.text("console.goodbye", "Take care!") + "\n")
    return 0


def _services(config: Config, folder: Path, create: bool) -> Services:
    """The services over the clinic's database (created only by `run`)."""
    try:
        knowledge = Knowledge.load(folder, config.clinic)
    except OSError as exc:
        raise UsageError(f"cannot read the knowledge base {folder}: {exc.strerror or exc}") from None
    store = _open_store(config, create)
    try:
        secret = (
            config.link_secret.encode("utf-8")
            if config.link_secret
            else store.call(link_secret, config.db_path)
        )
        return Services.create(store, knowledge, config, secret)
    except BaseException:
        store.close()
        raise


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the Telegram bot with long polling until SIGTERM or Ctrl-C."""
    from bot.telegram.signals import Signals  # first: a SIGHUP or SIGTERM during start-up must not kill it

    signals = Signals().install()
    config = _config(
        True, AFTERCARE_DB=args.db, AFTERCARE_API_URL=args.api_url, AFTERCARE_KNOWLEDGE=args.knowledge
    )
    from bot.telegram import logsafe  # Telegram is only imported when the bot runs

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
        services = _services(config, _knowledge_folder(args, config), create=True)
        try:
            from bot.telegram.app import StartFailed, run

            try:
                run(config, services, signals)
            except StartFailed as exc:
                sys.stderr.write(f"aftercare: {exc}\n")
                return exc.exit_code
        finally:
            services.deps.store.close()
    finally:
        lock.release()
    return 0


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


def _hold(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip().isdecimal():
        raise argparse.ArgumentTypeError(f"'{text}' is not ENTRY=DAY, e.g. swimming_sauna_heat=3")
    return name.strip(), int(value)


def cmd_enroll(args: argparse.Namespace, out: TextIO) -> int:
    """Print a signed, single-use deep link for one patient (and optionally a QR code PNG of it)."""
    config = _config(AFTERCARE_DB=args.db)
    try:
        zone = check_timezone(args.tz or config.timezone)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.patient is not None and (args.qr or args.name or args.days):
        raise UsageError(
            "--patient adds the treatment to someone already enrolled: no link, so no --qr, --name or --days"
        )
    if args.qr:
        check_writable(Path(args.qr))  # before the invite exists: no link is handed out for nothing
    services = _services(config, _knowledge_folder(args, config), create=False)
    try:
        args.procedure = _procedure(args, services.deps.engine.procedures)
        holds = dict(args.hold or [])
        problem = services.enrollment.check_choice(args.procedure, args.variant, holds)
        if problem is not None:
            raise UsageError(problem)
        status = services.enrollment.check_date(args.treated_on, zone).status
        if status is DateStatus.FUTURE:
            raise UsageError(f"--treated-on {args.treated_on.isoformat()} is in the future")
        if status is DateStatus.TOO_OLD:
            raise UsageError(f"--treated-on {args.treated_on.isoformat()} is more than a year ago")
        if args.patient is not None:
            added = services.deps.store.call(
                services.enrollment.add_treatment,
                args.patient,
                args.procedure,
                args.treated_on,
                args.variant,
                holds,
            )
            if added is None:
                raise UsageError(
                    f"no patient #{args.patient} (staff see the numbers in /patients and alerts)"
                )
            out.write(
                f"added {added.procedure_name} of {args.treated_on.isoformat()} to patient #{args.patient}"
                f"{f' ({added.name})' if added.name else ''}; the bot tells them in their chat\n"
            )
            return 0
        username = _bot_username(config, services)
        invitation = services.deps.store.call(
            services.enrollment.create_invite,
            username,
            args.procedure,
            args.treated_on,
            zone,
            args.name,
            args.days,
            args.variant,
            holds,
        )
    finally:
        services.deps.store.close()
    out.write(invitation.url + "\n")
    out.write(f"single use, valid until {invitation.expires_at[:16].replace('T', ' ')} UTC\n")
    if args.qr:
        write_qr(invitation.url, Path(args.qr))
        out.write(f"QR code written to {args.qr}\n")
    return 0


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    """Make a clinic folder: knowledge/ to edit, a commented .env, the database."""
    try:
        made = make_clinic_folder(Path(args.folder), shipped_folder())
    except FolderRefused as exc:
        raise UsageError(str(exc)) from None
    except DatabaseUnavailable as exc:
        raise UsageError(str(exc)) from None
    out.write(
        f"Made the clinic folder {made.folder}:\n"
        f"  {made.knowledge}/  what the bot knows: {', '.join(made.files)} (edit these)\n"
        f"  {made.env}  the settings: put the bot's token in TELEGRAM_BOT_TOKEN\n"
        f"  {made.database}  the database (back it up with `aftercare backup FILE`)\n"
        f"Next: cd {made.folder} && aftercare kb check && aftercare chat\n"
    )
    return 0


def cmd_backup(args: argparse.Namespace, out: TextIO) -> int:
    """A consistent, checked, owner-only copy of the database, safe while the bot runs."""
    config = _config(AFTERCARE_DB=args.db)
    target = Path(args.file)
    if target.resolve() == config.db_path.resolve():
        raise UsageError("the backup must be another file than the database itself")
    try:
        made = backup(config.db_path, target)
    except DatabaseMissing:
        raise UsageError(_no_database(config)) from None
    except (BackupFailed, DatabaseUnavailable) as exc:
        raise UsageError(str(exc)) from None
    patients = made.rows.get("patients", 0)
    out.write(
        f"backed up {config.db_path} to {made.path} ({made.size // 1024} KiB, {patients} patient(s)); "
        "integrity check: ok\n"
    )
    return 0


def cmd_preview(args: argparse.Namespace, out: TextIO) -> int:
    """Print exactly what a patient on the given day receives for a screen."""
    answering = _answering(args)
    preview = Preview(answering.knowledge, _config())
    try:
        message = preview.show(Screen(args.screen), args.procedure, args.variant, args.day, date.today())
    except NothingToPreview as exc:
        raise UsageError(str(exc)) from None
    out.write(message.text + "\n")
    for row in message.buttons:
        out.write("  " + "  ".join(f"[{b.label}]" for b in row) + "\n")
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="aftercare",
        description="Aftercare assistant for aesthetic clinics. Without a command: the bot when "
        "TELEGRAM_BOT_TOKEN is set, otherwise a local chat.",
    )
    parser.add_argument("--version", action="version", version=f"aftercare {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--procedure", help="procedure id (needed when the knowledge base has several)")
        p.add_argument("--variant", help="the kind of the procedure, e.g. medium (default: its first)")
        p.add_argument(
            "--knowledge", metavar="FOLDER", help="knowledge base folder (default: the one in use)"
        )

    def when(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument("--day", type=_day, help="day of recovery (0 = treatment day)")
        group.add_argument("--treated-on", type=_date, metavar="YYYY-MM-DD", help="treatment date")

    ask = sub.add_parser("ask", help="answer one question as the bot would")
    ask.add_argument("question")
    common(ask)
    when(ask)
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.set_defaults(handler=cmd_ask)

    ev = sub.add_parser("eval", help="score the engine on a labelled YAML question file")
    ev.add_argument("file")
    common(ev)
    ev.add_argument("--predictions", metavar="OUT.jsonl", help="write one `ask --json` object per item")
    ev.add_argument("--gate", action="store_true", help="exit 1 unless the release bar is met")
    ev.add_argument(
        "--min-right", type=_percent, default=95.0, metavar="PCT", help="the gate's topic accuracy (95)"
    )
    ev.add_argument(
        "--max-wrong", type=_percent, default=2.0, metavar="PCT", help="the gate's confidently wrong (2)"
    )
    ev.add_argument(
        "--calibrate",
        action="store_true",
        help="also ask every example of the knowledge base of a matcher built without it (slow)",
    )
    ev.set_defaults(handler=cmd_eval)

    chat = sub.add_parser("chat", help="talk to the assistant in this terminal")
    common(chat)
    when(chat)
    chat.set_defaults(handler=cmd_chat)

    run = sub.add_parser("run", help="run the Telegram bot (long polling; settings from the environment)")
    run.add_argument("--db", metavar="FILE", help="SQLite database (default: AFTERCARE_DB)")
    run.add_argument(
        "--api-url", metavar="URL", help="Bot API base URL (default: AFTERCARE_API_URL or Telegram)"
    )
    run.add_argument("--knowledge", metavar="FOLDER", help="knowledge base folder (default: the one in use)")
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
    enroll.add_argument(
        "--hold",
        type=_hold,
        action="append",
        metavar="ENTRY=DAY",
        help="make a wait longer for this patient (never shorter), e.g. swimming_sauna_heat=3",
    )
    enroll.add_argument(
        "--patient",
        type=int,
        metavar="N",
        help="add the treatment to patient #N, already enrolled (re-treatment: no new link)",
    )
    enroll.add_argument("--qr", metavar="FILE.png", help="also write a QR code of the link")
    enroll.add_argument("--days", type=_valid_days, help="days the link stays valid (default: 14)")
    enroll.add_argument("--db", metavar="FILE", help="SQLite database (default: AFTERCARE_DB)")
    enroll.set_defaults(handler=cmd_enroll)

    init = sub.add_parser("init", help="make a clinic folder: knowledge/ to edit, .env, the database")
    init.add_argument("folder", help="the folder to make (it may exist, empty)")
    init.set_defaults(handler=cmd_init)

    back = sub.add_parser("backup", help="copy the database safely, even while the bot runs")
    back.add_argument("file", help="where to write the copy (owner-only)")
    back.add_argument("--db", metavar="FILE", help="SQLite database (default: AFTERCARE_DB)")
    back.set_defaults(handler=cmd_backup)

    show = sub.add_parser("preview", help="print what a patient receives: today, plan, checkin or help")
    show.add_argument("screen", choices=[s.value for s in Screen])
    show.add_argument("--day", type=_day, required=True, help="day of recovery (0 = treatment day)")
    common(show)
    show.set_defaults(handler=cmd_preview)

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    check_cmd = kb_sub.add_parser("check", help="validate the knowledge base files")
    check_cmd.add_argument("folder", nargs="?", help="folder to check (default: the one in use)")
    check_cmd.set_defaults(handler=cmd_kb_check)
    suggest = kb_sub.add_parser(
        "suggest", help="YAML to paste for questions the bot could not answer (from the bot's database)"
    )
    suggest.add_argument("--since", type=_days_back, default=30, metavar="DAYS", help="default: 30")
    suggest.add_argument(
        "--knowledge", metavar="FOLDER", help="knowledge base folder (default: the one in use)"
    )
    suggest.add_argument("--db", metavar="FILE", help="SQLite database (default: AFTERCARE_DB)")
    suggest.set_defaults(handler=cmd_kb_suggest)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the `aftercare` command; returns the exit code."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        try:
            token = _config().token
        except UsageError as exc:
            sys.stderr.write(f"aftercare: {exc}\n")
            return 2
        if not token:
            sys.stderr.write(
                "aftercare: no TELEGRAM_BOT_TOKEN set, so this opens the local console; "
                "`aftercare run` starts the Telegram bot\n"
            )
        args = parser.parse_args(["run" if token else "chat", *(argv or [])])
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
