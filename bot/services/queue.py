"""Queueing messages in the outbox, inside the caller's transaction: the one way a use case sends."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlite_utils import Database

from bot.services.outcome import NOTHING, Message, Outcome
from bot.storage import outbox, patients, transaction, updates
from bot.storage.outbox import Kind, NewRow
from bot.storage.stamps import seconds


def origin_of_update(update_id: int) -> str:
    """The outbox key prefix of the messages answering an update: handling it again queues nothing twice."""
    return outbox.key("update", update_id)


def fresh_origin() -> str:
    """A key prefix for messages that answer no update (a command line, a job)."""
    return outbox.key("once", secrets.token_hex(8))


def enqueue(db: Database, messages: Sequence[Message], now: datetime, origin: str) -> int:
    """Queue `messages` in order. A message to (or about) an enrolled patient is tied to them, so /forget and
    the retention purge delete it with them."""
    rows = []
    for number, message in enumerate(messages):
        subject = message.about_chat_id if message.about_chat_id is not None else message.chat_id
        patient = patients.get_patient(db, subject)
        rows.append(
            NewRow(
                Kind.MESSAGE,
                outbox.key(origin, number),
                message.chat_id,
                now,
                message.priority,
                patient_id=patient.id if patient else None,
                payload=message.to_json(),
                about_chat_id=message.about_chat_id,
            )
        )
    return outbox.insert_rows(db, rows, now)


def handle_update(db: Database, now: datetime, update_id: int, work: Callable[[], Outcome]) -> Outcome:
    """The frame of every use case an update triggers: in one transaction, claim the update (nothing happens
    for one handled before), do the work and queue its messages."""
    with transaction(db):
        if not updates.claim(db, update_id, seconds(now)):
            return NOTHING
        outcome = work()
        enqueue(db, outcome.messages, now, origin_of_update(update_id))
    return outcome
