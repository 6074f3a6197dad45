"""The outbox: every scheduled message (check-ins now, staff alerts later) as a row with a state.

The database is the schedule. A row goes pending -> sending -> sent | failed | skipped | uncertain; a row left
`sending` by a crash goes back to pending at start-up (it may be sent twice, never lost). Times are UTC ISO
strings of one fixed format, so they compare as text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("aftercare.outbox")

STATES = ("pending", "sending", "sent", "failed", "skipped", "uncertain")
CHECKIN = "checkin"


@migrations()
def m001_outbox(db: Database) -> None:
    """The outbox table, unique per (kind, dedupe key) and per (treatment, check-in step)."""
    states = ", ".join(f"'{s}'" for s in STATES)
    db.execute(
        f"""
        CREATE TABLE outbox (
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
        "CREATE UNIQUE INDEX outbox_checkin_step ON outbox(treatment_id, step_day) WHERE kind = 'checkin'"
    )
    db.execute("CREATE INDEX outbox_due ON outbox(state, next_attempt_at)")
    db.execute("CREATE INDEX outbox_patient ON outbox(patient_id, state)")


def migrate(db: Database) -> None:
    """Apply this module's migrations."""
    migrations.apply(db)


def iso(moment: datetime) -> str:
    """The stored form of an aware datetime: UTC, microseconds, `+00:00`."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    """Inverse of `iso`."""
    return datetime.fromisoformat(text)


@contextmanager
def _transaction(db: Database) -> Iterator[sqlite3.Connection]:
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@dataclass(frozen=True)
class NewRow:
    """A row to schedule; `state` is 'pending', or 'skipped' for a step that was already late."""

    kind: str
    dedupe_key: str
    chat_id: int
    due_at: datetime
    expires_at: datetime | None = None
    treatment_id: int | None = None
    patient_id: int | None = None
    step_day: int | None = None
    payload: str | None = None
    state: str = "pending"
    last_error: str | None = None


@dataclass(frozen=True)
class OutboxRow:
    """A row as the dispatcher needs it, with the patient and treatment fields joined in."""

    id: int
    kind: str
    dedupe_key: str
    chat_id: int
    state: str
    due_at: datetime
    expires_at: datetime | None
    attempts: int
    treatment_id: int | None
    patient_id: int | None
    step_day: int | None
    payload: str | None
    sent_message_id: int | None
    last_error: str | None
    timezone: str | None
    muted: bool
    unreachable: bool
    procedure: str | None
    treated_on: date | None


_SELECT = """
    SELECT o.id, o.kind, o.dedupe_key, o.chat_id, o.state, o.due_at, o.expires_at, o.attempts,
           o.treatment_id, o.patient_id, o.step_day, o.payload, o.sent_message_id, o.last_error,
           p.timezone, p.muted, p.unreachable, t.procedure, t.treated_on
    FROM outbox o
    LEFT JOIN patients p ON p.id = o.patient_id
    LEFT JOIN treatments t ON t.id = o.treatment_id
"""


def _row(r: tuple[object, ...]) -> OutboxRow:
    return OutboxRow(
        id=int(r[0]),  # type: ignore[call-overload]
        kind=str(r[1]),
        dedupe_key=str(r[2]),
        chat_id=int(r[3]),  # type: ignore[call-overload]
        state=str(r[4]),
        due_at=parse_iso(str(r[5])),
        expires_at=parse_iso(str(r[6])) if r[6] is not None else None,
        attempts=int(r[7]),  # type: ignore[call-overload]
        treatment_id=r[8] if isinstance(r[8], int) else None,
        patient_id=r[9] if isinstance(r[9], int) else None,
        step_day=r[10] if isinstance(r[10], int) else None,
        payload=r[11] if isinstance(r[11], str) else None,
        sent_message_id=r[12] if isinstance(r[12], int) else None,
        last_error=r[13] if isinstance(r[13], str) else None,
        timezone=r[14] if isinstance(r[14], str) else None,
        muted=bool(r[15]),
        unreachable=bool(r[16]),
        procedure=r[17] if isinstance(r[17], str) else None,
        treated_on=date.fromisoformat(r[18]) if isinstance(r[18], str) else None,
    )


def insert_rows(db: Database, rows: Iterable[NewRow], now: datetime) -> int:
    """Insert rows that do not exist yet (by kind and dedupe key); return how many were new."""
    stamp = iso(now)
    added = 0
    with _transaction(db) as conn:
        for r in rows:
            cursor = conn.execute(
                """
                INSERT INTO outbox (kind, dedupe_key, treatment_id, patient_id, chat_id, step_day, payload,
                                    due_at, expires_at, next_attempt_at, state, last_error, created_at,
                                    updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """,
                (
                    r.kind,
                    r.dedupe_key,
                    r.treatment_id,
                    r.patient_id,
                    r.chat_id,
                    r.step_day,
                    r.payload,
                    iso(r.due_at),
                    iso(r.expires_at) if r.expires_at else None,
                    iso(r.due_at),
                    r.state,
                    r.last_error,
                    stamp,
                    stamp,
                ),
            )
            added += cursor.rowcount
    return added


Verdict = tuple[str, datetime | None, str | None]
"""What the claimer decided for a due row: ('send'|'defer'|'skip', defer until, skip reason)."""


def claim_due(
    db: Database,
    now: datetime,
    limit: int,
    judge: Callable[[OutboxRow], Verdict],
    kinds: tuple[str, ...] | None = None,
    first: tuple[str, ...] = (),
) -> list[OutboxRow]:
    """In one transaction: judge due pending rows (of `kinds`, default all; rows of the `first` kinds before
    any other, so an alert never waits behind a check-in backlog), mark up to `limit` of them `sending` and
    return those; deferred rows get a later attempt time, skipped rows are closed.

    A judged row always leaves the due set (sent, skipped, or deferred past `now`), so each round of the
    loop sees new rows and no list of already judged ids is needed."""
    stamp = iso(now)
    sql = _SELECT + " WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
    args: list[object] = [stamp]
    if kinds is not None:
        sql += f" AND o.kind IN ({','.join('?' * len(kinds))})"
        args += kinds
    order = " ORDER BY o.next_attempt_at, o.id LIMIT ?"
    # Two queries rather than one sorted by kind, so both walk the (state, next_attempt_at) index.
    sql_first = sql + f" AND o.kind IN ({','.join('?' * len(first))})" + order if first else None
    sql += order
    claimed: list[OutboxRow] = []
    with _transaction(db) as conn:
        while len(claimed) < limit:
            want = limit - len(claimed)
            found = conn.execute(sql_first, [*args, *first, want]).fetchall() if sql_first else []
            batch = [_row(r) for r in found or conn.execute(sql, [*args, want]).fetchall()]
            if not batch:
                break
            for row in batch:
                action, until, reason = judge(row)
                if action == "send":
                    conn.execute(
                        "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ? "
                        "WHERE id = ?",
                        (stamp, row.id),
                    )
                    claimed.append(row)
                elif action == "defer" and until is not None and until > now:
                    conn.execute(
                        "UPDATE outbox SET next_attempt_at = ?, updated_at = ? WHERE id = ?",
                        (iso(until), stamp, row.id),
                    )
                else:
                    conn.execute(
                        "UPDATE outbox SET state = 'skipped', last_error = ?, updated_at = ? WHERE id = ?",
                        (reason or "skipped", stamp, row.id),
                    )
    return claimed


def _finish(db: Database, row_id: int, state: str, now: datetime, **fields: object) -> bool:
    sets = ", ".join(f"{k} = ?" for k in fields)
    extra = f", {sets}" if sets else ""
    sql = f"UPDATE outbox SET state = ?, updated_at = ?{extra} WHERE id = ? AND state = 'sending'"
    cursor = db.conn.execute(sql, (state, iso(now), *fields.values(), row_id))
    return cursor.rowcount == 1


def mark_sent(db: Database, row_id: int, message_id: int, now: datetime) -> bool:
    """sending -> sent, with Telegram's message id."""
    return _finish(db, row_id, "sent", now, sent_message_id=message_id, sent_at=iso(now), last_error=None)


def mark_uncertain(db: Database, row_id: int, error: str, now: datetime) -> bool:
    """sending -> uncertain: delivery unknown (a timeout after the request went out); never resent blindly."""
    return _finish(db, row_id, "uncertain", now, last_error=error)


def mark_failed(db: Database, row_id: int, error: str, now: datetime) -> bool:
    """sending -> failed: Telegram refused it for good."""
    return _finish(db, row_id, "failed", now, last_error=error)


def mark_skipped(db: Database, row_id: int, reason: str, now: datetime) -> bool:
    """sending -> skipped (e.g. its retry time is past its expiry)."""
    return _finish(db, row_id, "skipped", now, last_error=reason)


def retry_later(db: Database, row_id: int, at: datetime, error: str, now: datetime) -> bool:
    """sending -> pending again, not before `at`."""
    return _finish(db, row_id, "pending", now, next_attempt_at=iso(at), last_error=error)


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
    with _transaction(db) as conn:
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM outbox WHERE state = 'sending'").fetchall()]
        conn.execute(
            "UPDATE outbox SET state = 'pending', last_error = 'interrupted', updated_at = ? "
            "WHERE state = 'sending'",
            (iso(now),),
        )
    return ids


def mark_patient_unreachable(db: Database, patient_id: int, now: datetime) -> bool:
    """The patient blocked the bot: flag them and skip their pending check-ins. True the first time only."""
    with _transaction(db) as conn:
        cursor = conn.execute(
            "UPDATE patients SET unreachable = 1 WHERE id = ? AND unreachable = 0", (patient_id,)
        )
        conn.execute(
            "UPDATE outbox SET state = 'skipped', last_error = 'unreachable', updated_at = ? "
            "WHERE patient_id = ? AND kind = ? AND state = 'pending'",
            (iso(now), patient_id, CHECKIN),
        )
    return cursor.rowcount == 1


def resume_unreachable(db: Database, chat_id: int, now: datetime) -> int:
    """The patient of `chat_id` unblocked the bot: their check-ins skipped as unreachable whose time is
    still ahead are pending again (past ones stay skipped). Return how many."""
    cursor = db.conn.execute(
        "UPDATE outbox SET state = 'pending', last_error = NULL, next_attempt_at = due_at, updated_at = ? "
        "WHERE kind = ? AND state = 'skipped' AND last_error = 'unreachable' AND due_at > ? "
        "AND patient_id IN (SELECT id FROM patients WHERE chat_id = ?)",
        (iso(now), CHECKIN, iso(now), chat_id),
    )
    return cursor.rowcount


def skip_overdue_if_muted(db: Database, chat_id: int, now: datetime) -> int:
    """Before /unmute: skip the check-ins whose time passed while the patient of `chat_id` was muted."""
    cursor = db.conn.execute(
        "UPDATE outbox SET state = 'skipped', last_error = 'muted', updated_at = ? "
        "WHERE kind = ? AND state = 'pending' AND due_at <= ? "
        "AND patient_id IN (SELECT id FROM patients WHERE chat_id = ? AND muted = 1)",
        (iso(now), CHECKIN, iso(now), chat_id),
    )
    return cursor.rowcount


def get(db: Database, row_id: int) -> OutboxRow | None:
    """One row with its joined patient and treatment fields."""
    found = db.conn.execute(_SELECT + " WHERE o.id = ?", (row_id,)).fetchone()
    return _row(found) if found else None


def state_counts(db: Database) -> dict[str, int]:
    """How many rows are in each state."""
    found = db.conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
    return {str(s): int(n) for s, n in found}


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


def planning_info(db: Database, treatment_id: int) -> PlanningInfo | None:
    """The patient and treatment fields needed to plan `treatment_id`'s check-ins."""
    r = db.conn.execute(
        "SELECT t.id, p.id, p.chat_id, p.timezone, t.procedure, t.treated_on, t.created_at "
        "FROM treatments t JOIN patients p ON p.id = t.patient_id WHERE t.id = ?",
        (treatment_id,),
    ).fetchone()
    if r is None:
        return None
    try:
        created = datetime.fromisoformat(str(r[6]))
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
    except ValueError:
        created = None
    treated_on = date.fromisoformat(str(r[5]))
    return PlanningInfo(int(r[0]), int(r[1]), int(r[2]), r[3], str(r[4]), treated_on, created)


def unplanned_treatments(db: Database, after: int = 0, limit: int = 500) -> list[int]:
    """Treatments (id > `after`) that have no check-in rows yet, i.e. enrolled since the last pass."""
    found = db.conn.execute(
        # The literal 'checkin' lets SQLite use the partial index outbox_checkin_step.
        "SELECT t.id FROM treatments t WHERE t.id > ? AND NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.treatment_id = t.id AND o.kind = 'checkin') ORDER BY t.id LIMIT ?",
        (after, limit),
    ).fetchall()
    return [int(r[0]) for r in found]


def supersede_older(db: Database, patient_id: int, treatment_id: int, now: datetime) -> int:
    """Skip the pending check-ins of a patient's older treatments (the newest one is followed)."""
    cursor = db.conn.execute(
        "UPDATE outbox SET state = 'skipped', last_error = 'superseded', updated_at = ? "
        "WHERE patient_id = ? AND kind = ? AND state = 'pending' AND treatment_id < ?",
        (iso(now), patient_id, CHECKIN, treatment_id),
    )
    return cursor.rowcount
