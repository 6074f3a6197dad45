"""Signed enrollment links: an invite id and an expiry, HMAC-signed; anything changed or foreign fails."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.invite_token import sign, verify

SECRET = b"s3cret"


def test_payload_round_trip_and_shape() -> None:
    payload = sign(42, 1_800_000_000, SECRET)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
    claims = verify(payload, SECRET)
    assert claims is not None and (claims.invite_id, claims.expires_at) == (42, 1_800_000_000)


def test_payload_from_another_secret_is_refused() -> None:
    assert verify(sign(42, 1_800_000_000, b"other"), SECRET) is None


@given(st.integers(min_value=0, max_value=31), st.sampled_from("ABCabc019_-"))
def test_any_changed_character_is_refused(position: int, char: str) -> None:
    payload = sign(7, 1_800_000_000, SECRET)
    changed = payload[:position] + char + payload[position + 1 :]
    if changed != payload:
        assert verify(changed, SECRET) is None


@pytest.mark.parametrize("payload", ["", "x", "a" * 65, "abc=def", "ünïcode", "A" * 32, "hello world"])
def test_malformed_payloads_are_refused(payload: str) -> None:
    assert verify(payload, SECRET) is None
