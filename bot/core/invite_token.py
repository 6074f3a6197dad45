"""Signed enrollment-link payloads: an invite id and an expiry, HMAC-signed, in 32 URL-safe characters.

The payload carries no health data: the procedure and date stay in the database, under the invite id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass

MAC_BYTES = 16
_BODY = struct.Struct(">IQ")  # invite id, expiry (Unix seconds)
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_PAYLOAD = 64


@dataclass(frozen=True)
class Claims:
    """What a verified payload says."""

    invite_id: int
    expires_at: int


def _mac(body: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, b"aftercare-invite:" + body, hashlib.sha256).digest()[:MAC_BYTES]


def sign(invite_id: int, expires_at: int, secret: bytes) -> str:
    """The `/start` payload for an invite: base64url, no padding, 32 characters."""
    body = _BODY.pack(invite_id, expires_at)
    return base64.urlsafe_b64encode(body + _mac(body, secret)).rstrip(b"=").decode("ascii")


def verify(payload: str, secret: bytes) -> Claims | None:
    """The claims of a payload signed with `secret`; None when malformed, tampered or foreign."""
    if not _PAYLOAD.fullmatch(payload):
        return None
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _BODY.size + MAC_BYTES:
        return None
    body, mac = raw[: _BODY.size], raw[_BODY.size :]
    if not hmac.compare_digest(mac, _mac(body, secret)):
        return None
    invite_id, expires_at = _BODY.unpack(body)
    return Claims(invite_id, expires_at)
