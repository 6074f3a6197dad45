"""The outbox: every message the bot sends (replies, relays, staff alerts, check-ins) as a row with a state.

The database is the schedule and the send queue. A row goes pending -> sending -> sent | failed | skipped |
uncertain; a row left `sending` by a crash goes back to pending at start-up (it may be sent twice, never
lost). Rows are claimed by priority (crisis and emergency first), then by due time. Times are UTC ISO strings
of one fixed format, so they compare as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum, StrEnum

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.core.checkins import Action as Verdict
from bot.core.checkins import Decision, SkipReason
from bot.storage import transaction
from bot.storage.patients import _add_column, _holds
from bot.storage.stamps import iso, parse_iso

migrations = Migrations("aftercare.outbox")


class State(StrEnum):
    """Where a row is on its way out."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNCERTAIN = "uncertain"
    """A timeout after the request went out: it may have arrived; never resent blindly."""


class Kind(StrEnum):
    """What a row carries: a check-in (composed when sent), a staff alert, or any other message."""

    CHECKIN = "checkin"
    ALERT = "alert"
    MESSAGE = "message"


class Priority(IntEnum):
    """Who goes first, at Telegram's limits: lower is sooner."""

    TOP = 0
    """Crisis and emergency: the safety reply and the staff alert."""
    URGENT = 1
    """Same-day warning signs: the safety reply and the staff alert."""
    REPLY = 2
    """Answers, relays between a patient and staff, staff command answers."""
    BACKGROUND = 3
    """Check-ins and routine notes."""


@migrations()
def m001_outbox(db: Database) -> None:
    """The outbox table, unique per (kind, dedupe key) and per (treatment, check-in step)."""
    states = ", ".join(f"'{s}'" for s in State)
    db.execute(
        f"""
        CREATE TABLE IF NOT EXISTS outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            dedupe_key TEXT NOT NULL,
            treatment_id INTEGER REFERENCES treatments(id) ON DELETE CASCADE,
            patient_id INTEGER REFERENCES patients(id) ON DELETE CASCADE,
            chat_id INTEGER NOT NULL,
            step_day INTEGER,
            payload TEXT,
            due_at TEXT NOT NULL,
            expires_at TEXT,
            next_attempt_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ({states})),
            attempts INTEGER NOT NULL DEFAULT 0,
            sent_message_id INTEGER,
            sent_at TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (kind, dedupe_key)
        )
        """
    )
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS outbox_checkin_step ON outbox(treatment_id, step_day)"
        " WHERE kind = 'checkin'"
    )
    db.execute("CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at)")
    db.execute("CREATE INDEX IF NOT EXISTS outbox_patient ON outbox(patient_id, state)")


@migrations()
def m002_priority_skip_reason_about(db: Database) -> None:
    """Priority order, why a row was skipped (a column, not an error text), and which patient a message in
    the staff chat is about (a staff member's reply to it reaches that patient)."""
    _add_column(db, "outbox", "priority", f"INTEGER NOT NULL DEFAULT {int(Priority.BACKGROUND)}")
    _add_column(db, "outbox", "skip_reason", "TEXT")
    _add_column(db, "outbox", "about_chat_id", "INTEGER")
    skipped = ", ".join(f"'{r}'" for r in SkipReason)
    db.execute(
        f"UPDATE outbox SET skip_reason = last_error, last_error = NULL WHERE state = 'skipped'"
        f" AND last_error IN ({skipped})"
    )
    db.execute("UPDATE outbox SET priority = ? WHERE kind = 'alert'", (int(Priority.URGENT),))
    db.execute("DROP INDEX IF EXISTS outbox_due")
    db.execute("CREATE INDEX IF NOT EXISTS outbox_claim ON outbox(state, priority, next_attempt_at)")
    db.execute(
        "CREATE INDEX IF NOT EXISTS outbox_about ON outbox(chat_id, sent_message_id)"
        " WHERE about_chat_id IS NOT NULL"
    )


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


def key(*parts: object) -> str:
    """The one way to build a dedupe key: its parts joined by ':' ("checkin:12:3", "update:88:0")."""
    return ":".join(str(p) for p in parts)


@dataclass(frozen=True)
class NewRow:
    """A row to queue; `state` is pending, or skipped (with its reason) for a step that was already late."""

    kind: Kind
    dedupe_key: str
    chat_id: int
    due_at: datetime
    priority: Priority = Priority.REPLY
    expires_at: datetime | None = None
    treatment_id: int | None = None
    patient_id: int | None = None
    step_day: int | None = None
    payload: str | None = None
    state: State = State.PENDING
    skip_reason: SkipReason | None = None
    about_chat_id: int | None = None


@dataclass(frozen=True)
class OutboxRow:
    """A row as the dispatcher needs it, with the patient and treatment fields joined in."""

    id: int
    kind: Kind
    dedupe_key: str
    chat_id: int
    state: State
    priority: Priority
    due_at: datetime
    expires_at: datetime | None
    attempts: int
    treatment_id: int | None
    patient_id: int | None
    step_day: int | None
    payload: str | None
    sent_message_id: int | None
    last_error: str | None
    skip_reason: SkipReason | None
    about_chat_id: int | None
    timezone: str | None
    muted: bool
    unreachable: bool
    procedure: str | None
    treated_on: date | None
    variant: str | None
    holds: dict[str, int]


_SELECT = """
    SELECT o.id, o.kind, o.dedupe_key, o.chat_id, o.state, o.priority, o.due_at, o.expires_at, o.attempts,
           o.treatment_id, o.patient_id, o.step_day, o.payload, o.sent_message_id, o.last_error,
           o.skip_reason, o.about_chat_id,
           p.timezone, p.muted, p.unreachable, t.procedure, t.treated_on, t.variant, t.holds
    FROM outbox o
    LEFT JOIN patients p ON p.id = o.patient_id
    LEFT JOIN treatments t ON t.id = o.treatment_id
"""


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _row(r: tuple[object, ...]) -> OutboxRow:
    reason = _text(r[15])
    return OutboxRow(
        id=int(str(r[0])),
        kind=Kind(str(r[1])),
        dedupe_key=str(r[2]),
        chat_id=int(str(r[3])),
        state=State(str(r[4])),
        priority=Priority(int(str(r[5]))),
        due_at=parse_iso(str(r[6])),
        expires_at=parse_iso(str(r[7])) if r[7] is not None else None,
        attempts=int(str(r[8])),
        treatment_id=_int(r[9]),
        patient_id=_int(r[10]),
        step_day=_int(r[11]),
        payload=_text(r[12]),
        sent_message_id=_int(r[13]),
        last_error=_text(r[14]),
        skip_reason=SkipReason(reason) if reason in set(SkipReason) else None,
        about_chat_id=_int(r[16]),
        timezone=_text(r[17]),
        muted=bool(r[18]),
        unreachable=bool(r[19]),
        procedure=_text(r[20]),
        treated_on=date.fromisoformat(r[21]) if isinstance(r[21], str) else None,
        variant=_text(r[22]),
        holds=_holds(r[23]),
    )


def insert_rows(db: Database, rows: Iterable[NewRow], now: datetime) -> int:
    """Queue rows that do not exist yet (by kind and dedupe key); return how many were new."""
    stamp = iso(now)
    added = 0
    with transaction(db):
        for r in rows:
            cursor = db.conn.execute(
                """
                INSERT INTO outbox (kind, dedupe_key, treatment_id, patient_id, chat_id, step_day, payload,
                                    due_at, expires_at, next_attempt_at, state, skip_reason, priority,
                                    about_chat_id, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """,
                (
                    r.kind.value,
                    r.dedupe_key,
                    r.treatment_id,
                    r.patient_id,
                    r.chat_id,
                    r.step_day,
                    r.payload,
                    iso(r.due_at),
                    iso(r.expires_at) if r.expires_at else None,
                    iso(r.due_at),
                    r.state.value,
                    r.skip_reason.value if r.skip_reason else None,
                    int(r.priority),
                    r.about_chat_id,
                    stamp,
                    stamp,
                ),
            )
            added += cursor.rowcount
    return added


Judge = Callable[[OutboxRow], Decision]


def claim_due(
    db: Database, now: datetime, limit: int, judge: Judge, kinds: tuple[Kind, ...]
) -> list[OutboxRow]:
    """In one transaction: judge due pending rows of `kinds` (most urgent priority first, then the oldest),
    mark up to `limit` of them `sending` and return those; deferred rows get a later attempt time, skipped
    rows are closed with their reason.

    A judged row always leaves the due set (sent, skipped, or deferred past `now`), so each round of the
    loop sees new rows and no list of already judged ids is needed."""
    stamp = iso(now)
    marks = ",".join("?" * len(kinds))
    sql = (
        _SELECT + f" WHERE o.state = 'pending' AND o.next_attempt_at <= ? AND o.kind IN ({marks})"
        " ORDER BY o.priority, o.next_attempt_at, o.id LIMIT ?"
    )
    claimed: list[OutboxRow] = []
    with transaction(db):
        while len(claimed) < limit:
            batch = [_row(r) for r in db.conn.execute(sql, [stamp, *kinds, limit - len(claimed)]).fetchall()]
            if not batch:
                break
            for row in batch:
                decision = judge(row)
                if decision.action is Verdict.SEND:
                    db.conn.execute(
                        "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ? "
                        "WHERE id = ?",
                        (stamp, row.id),
                    )
                    claimed.append(row)
                elif decision.action is Verdict.DEFER and decision.until is not None and decision.until > now:
                    db.conn.execute(
                        "UPDATE outbox SET next_attempt_at = ?, updated_at = ? WHERE id = ?",
                        (iso(decision.until), stamp, row.id),
                    )
                else:
                    reason = decision.reason or SkipReason.EXPIRED
                    db.conn.execute(
                        "UPDATE outbox SET state = 'skipped', skip_reason = ?, updated_at = ? WHERE id = ?",
                        (reason.value, stamp, row.id),
                    )
    return claimed


def _finish(db: Database, row_id: int, state: State, now: datetime, **fields: object) -> bool:
    sets = "".join(f", {k} = ?" for k in fields)
    sql = f"UPDATE outbox SET state = ?, updated_at = ?{sets} WHERE id = ? AND state = 'sending'"
    cursor = db.conn.execute(sql, (state.value, iso(now), *fields.values(), row_id))
    return cursor.rowcount == 1


def mark_sent(db: Database, row_id: int, message_id: int, now: datetime, keep_payload: bool = False) -> bool:
    """sending -> sent, with Telegram's message id. The stored text goes (it may hold a patient's words),
    unless `keep_payload`."""
    extra: dict[str, object] = {} if keep_payload else {"payload": None}
    return _finish(
        db, row_id, State.SENT, now, sent_message_id=message_id, sent_at=iso(now), last_error=None, **extra
    )


def delete_sent(db: Database, row_id: int) -> bool:
    """A message sent and not needed any more (no staff reply can refer to it): gone, words and all."""
    return db.conn.execute("DELETE FROM outbox WHERE id = ? AND state = 'sending'", (row_id,)).rowcount == 1


def mark_uncertain(db: Database, row_id: int, error: str, now: datetime) -> bool:
    """sending -> uncertain: delivery unknown (a timeout after the request went out); never resent blindly."""
    return _finish(db, row_id, State.UNCERTAIN, now, last_error=error, payload=None)


def mark_failed(db: Database, row_id: int, error: str, now: datetime) -> bool:
    """sending -> failed: Telegram refused it for good."""
    return _finish(db, row_id, State.FAILED, now, last_error=error, payload=None)


def mark_skipped(db: Database, row_id: int, reason: SkipReason, now: datetime) -> bool:
    """sending -> skipped (e.g. its retry time is past its expiry)."""
    return _finish(db, row_id, State.SKIPPED, now, skip_reason=reason.value, payload=None)


def retry_later(db: Database, row_id: int, at: datetime, error: str, now: datetime) -> bool:
    """sending -> pending again, not before `at`."""
    return _finish(db, row_id, State.PENDING, now, next_attempt_at=iso(at), last_error=error)


def release(db: Database, row_id: int, now: datetime) -> bool:
    """sending -> pending for a claimed row that was never attempted (the bot is stopping)."""
    cursor = db.conn.execute(
        "UPDATE outbox SET state = 'pending', attempts = MAX(attempts - 1, 0), updated_at = ? "
        "WHERE id = ? AND state = 'sending'",
        (iso(now), row_id),
    )
    return cursor.rowcount == 1


def count_attempt(db: Database, row_id: int, now: datetime) -> None:
    """Count one more send attempt of a row being sent (retries inside one dispatch pass)."""
    db.conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, updated_at = ? WHERE id = ? AND state = 'sending'",
        (iso(now), row_id),
    )


def recover_interrupted(db: Database, now: datetime) -> list[int]:
    """At start-up: rows left `sending` by a crash go back to pending (they may have been delivered)."""
    with transaction(db):
        ids = [int(r[0]) for r in db.conn.execute("SELECT id FROM outbox WHERE state = 'sending'").fetchall()]
        db.conn.execute(
            "UPDATE outbox SET state = 'pending', last_error = 'interrupted', updated_at = ? "
            "WHERE state = 'sending'",
            (iso(now),),
        )
    return ids


def skip_pending(
    db: Database,
    reason: SkipReason,
    now: datetime,
    *,
    patient_id: int | None = None,
    chat_id: int | None = None,
    kind: Kind = Kind.CHECKIN,
    due_by: datetime | None = None,
    dedupe_keys: tuple[str, ...] = (),
    older_than_treatment: int | None = None,
) -> int:
    """Skip pending rows of `kind` for a patient (or chat), optionally only those due by `due_by`, only
    those with one of `dedupe_keys`, or only those of treatments older than `older_than_treatment`."""
    where = ["kind = ?", "state = 'pending'"]
    args: list[object] = [kind.value]
    if patient_id is not None:
        where.append("patient_id = ?")
        args.append(patient_id)
    if chat_id is not None:
        where.append("chat_id = ?")
        args.append(chat_id)
    if due_by is not None:
        where.append("due_at <= ?")
        args.append(iso(due_by))
    if dedupe_keys:
        where.append(f"dedupe_key IN ({','.join('?' * len(dedupe_keys))})")
        args.extend(dedupe_keys)
    if older_than_treatment is not None:
        where.append("treatment_id < ?")
        args.append(older_than_treatment)
    cursor = db.conn.execute(
        f"UPDATE outbox SET state = 'skipped', skip_reason = ?, payload = NULL, updated_at = ? "
        f"WHERE {' AND '.join(where)}",
        (reason.value, iso(now), *args),
    )
    return int(cursor.rowcount)


def resume_skipped(db: Database, patient_id: int, reason: SkipReason, now: datetime) -> int:
    """Check-ins of a patient skipped for `reason` whose time is still ahead are pending again (past ones
    stay skipped). Return how many."""
    cursor = db.conn.execute(
        "UPDATE outbox SET state = 'pending', skip_reason = NULL, next_attempt_at = due_at, updated_at = ? "
        "WHERE kind = 'checkin' AND state = 'skipped' AND skip_reason = ? AND due_at > ? AND patient_id = ?",
        (iso(now), reason.value, iso(now), patient_id),
    )
    return int(cursor.rowcount)


def drop_payloads(db: Database, dedupe_keys: tuple[str, ...], kind: Kind = Kind.ALERT) -> int:
    """Drop the stored text of these rows, whatever their state (an alert once someone took it)."""
    if not dedupe_keys:
        return 0
    cursor = db.conn.execute(
        "UPDATE outbox SET payload = NULL WHERE kind = ?"
        f" AND dedupe_key IN ({','.join('?' * len(dedupe_keys))})",
        (kind.value, *dedupe_keys),
    )
    return int(cursor.rowcount)


def drop_spent_payloads(db: Database) -> int:
    """Drop the stored text of rows no longer going out (sent, failed, skipped, uncertain)."""
    cursor = db.conn.execute(
        "UPDATE outbox SET payload = NULL WHERE state NOT IN ('pending', 'sending') AND payload IS NOT NULL"
        " AND kind != 'checkin'"
    )
    return int(cursor.rowcount)


def delete_for_chat(db: Database, chat_id: int) -> int:
    """/forget of someone not (or no longer) enrolled: every queued or sent message to or about `chat_id`
    that is not tied to a patient row (those go with the patient)."""
    cursor = db.conn.execute(
        "DELETE FROM outbox WHERE patient_id IS NULL AND (chat_id = ? OR about_chat_id = ?)",
        (chat_id, chat_id),
    )
    return int(cursor.rowcount)


def delete_by_keys(db: Database, kind: Kind, dedupe_keys: tuple[str, ...]) -> int:
    """Delete the rows with these keys (the messages of alerts being forgotten)."""
    if not dedupe_keys:
        return 0
    cursor = db.conn.execute(
        f"DELETE FROM outbox WHERE kind = ? AND dedupe_key IN ({','.join('?' * len(dedupe_keys))})",
        (kind.value, *dedupe_keys),
    )
    return int(cursor.rowcount)


def purge_messages(db: Database, before: datetime) -> int:
    """Retention: delete plain messages (not check-ins, not alerts) finished before `before`."""
    cursor = db.conn.execute(
        "DELETE FROM outbox WHERE kind = 'message' AND state NOT IN ('pending', 'sending')"
        " AND updated_at < ?",
        (iso(before),),
    )
    return int(cursor.rowcount)


def get(db: Database, row_id: int) -> OutboxRow | None:
    """One row with its joined patient and treatment fields."""
    found = db.conn.execute(_SELECT + " WHERE o.id = ?", (row_id,)).fetchone()
    return _row(found) if found else None


def about(db: Database, chat_id: int, message_id: int) -> int | None:
    """The patient chat a message the bot posted in `chat_id` (the staff chat) is about, if any."""
    found = db.conn.execute(
        "SELECT about_chat_id FROM outbox WHERE chat_id = ? AND sent_message_id = ?"
        " AND about_chat_id IS NOT NULL",
        (chat_id, message_id),
    ).fetchone()
    return int(found[0]) if found else None


def state_counts(db: Database) -> dict[str, int]:
    """How many rows are in each state."""
    found = db.conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
    return {str(s): int(n) for s, n in found}


def due_count(db: Database, now: datetime, kind: Kind) -> int:
    """How many rows of `kind` are due and not sent yet."""
    found = db.conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE kind = ? AND state = 'pending' AND next_attempt_at <= ?",
        (kind.value, iso(now)),
    ).fetchone()
    return int(found[0])


def next_due(db: Database) -> datetime | None:
    """When the next pending row is due (for the dispatcher's sleep)."""
    found = db.conn.execute("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'").fetchone()
    return parse_iso(found[0]) if found and found[0] else None


@dataclass(frozen=True)
class PlanningInfo:
    """What planning a treatment's check-ins needs from the patient and treatment rows."""

    treatment_id: int
    patient_id: int
    chat_id: int
    timezone: str | None
    procedure: str
    treated_on: date
    created_at: datetime | None
    variant: str | None


def planning_info(db: Database, treatment_id: int) -> PlanningInfo | None:
    """The patient and treatment fields needed to plan `treatment_id`'s check-ins."""
    r = db.conn.execute(
        "SELECT t.id, p.id, p.chat_id, p.timezone, t.procedure, t.treated_on, t.created_at, t.variant "
        "FROM treatments t JOIN patients p ON p.id = t.patient_id WHERE t.id = ?",
        (treatment_id,),
    ).fetchone()
    if r is None:
        return None
    try:
        created: datetime | None = parse_iso(str(r[6]))
    except ValueError:
        created = None
    treated_on = date.fromisoformat(str(r[5]))
    return PlanningInfo(int(r[0]), int(r[1]), int(r[2]), r[3], str(r[4]), treated_on, created, r[7])


def unplanned_treatments(db: Database, after: int = 0, limit: int = 500) -> list[int]:
    """Treatments (id > `after`) that have no check-in rows yet, i.e. enrolled since the last pass."""
    found = db.conn.execute(
        # The literal 'checkin' lets SQLite use the partial index outbox_checkin_step.
        "SELECT t.id FROM treatments t WHERE t.id > ? AND NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.treatment_id = t.id AND o.kind = 'checkin') ORDER BY t.id LIMIT ?",
        (after, limit),
    ).fetchall()
    return [int(r[0]) for r in found]


def pending_checkins(db: Database, patient_id: int) -> list[OutboxRow]:
    """The patient's check-ins not sent yet, by due time."""
    rows = db.conn.execute(
        _SELECT + " WHERE o.kind = 'checkin' AND o.state = 'pending' AND o.patient_id = ? ORDER BY o.due_at",
        (patient_id,),
    ).fetchall()
    return [_row(r) for r in rows]


def treatments_with_pending_checkins(db: Database, patient_id: int | None = None) -> list[int]:
    """Treatments (of every patient, or of one) that still have check-ins to send."""
    rows = db.conn.execute(
        "SELECT DISTINCT treatment_id FROM outbox WHERE kind = 'checkin' AND state = 'pending'"
        " AND treatment_id IS NOT NULL AND (? IS NULL OR patient_id = ?) ORDER BY treatment_id",
        (patient_id, patient_id),
    ).fetchall()
    return [int(r[0]) for r in rows]


def delete_pending_checkins(db: Database, treatment_id: int) -> int:
    """Re-planning: remove a treatment's check-ins that have not gone out (they are planned again)."""
    cursor = db.conn.execute(
        "DELETE FROM outbox WHERE kind = 'checkin' AND state = 'pending' AND treatment_id = ?",
        (treatment_id,),
    )
    return int(cursor.rowcount)


def uncertain_since(db: Database, since: datetime) -> list[OutboxRow]:
    """Rows whose delivery is unknown (a timeout after sending), newest first, for staff to check."""
    rows = db.conn.execute(
        _SELECT + " WHERE o.state = 'uncertain' AND o.updated_at >= ? ORDER BY o.updated_at DESC",
        (iso(since),),
    ).fetchall()
    return [_row(r) for r in rows]
