"""How times are stored: UTC ISO 8601 text of one fixed format per column, so that they compare as text."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """UTC with microseconds (outbox, alerts: ordering within a second matters)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def seconds(moment: datetime) -> str:
    """UTC to the second (patients, treatments, invites, the question log)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    """Either form back to an aware datetime (a naive one, from an old row, is taken as UTC)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
