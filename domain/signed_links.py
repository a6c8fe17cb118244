"""One-click acknowledge/resolve links: a token bound to incident, action and responder, signed and expiring.

A token is ``<payload>.<signature>``, both unpadded base64url (URL-safe, no ``=``)::

    payload   = base64url(JSON {"i": incident_id, "a": action, "r": responder, "e": expiry in Unix seconds})
    signature = base64url(HMAC-SHA256(secret, payload))      the 43 characters of the payload's encoded text

Verification checks the signature over the payload exactly as received before reading it, so nothing unsigned is
ever parsed, and compares in constant time. Key rotation: ``verify_link`` takes a list of secrets, newest first;
sign with the first, keep an old one in the list until its last link has expired.

Pure: no I/O, and the current time is passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.errors import ExpiredLink, InvalidLink
from domain.models import as_utc

MAX_TOKEN_LENGTH = 2048
"""Longer tokens are refused as malformed before any work is done on them."""

_SIGNATURE_LENGTH = 43
"""An HMAC-SHA256 digest (32 bytes) in unpadded base64url."""
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_MAX_EXPIRY = 253_402_300_799
"""9999-12-31 23:59:59 UTC, the last second a datetime can hold."""

SIGNATURE_MISMATCH = "link signature does not match"
MALFORMED = "link is malformed"


class LinkAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class LinkClaims(BaseModel):
    """What a verified link allows: ``action`` on ``incident_id``, as ``responder``, until ``expires_at``."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    action: LinkAction
    responder: str
    expires_at: datetime


class _Payload(BaseModel):
    """The signed JSON, with short keys to keep links short; strict, so ``"e": "1"`` or ``"i": 7`` is malformed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    i: str = Field(min_length=1)
    a: LinkAction
    r: str = Field(min_length=1)
    e: int = Field(ge=0, le=_MAX_EXPIRY)


_ACTIONS_BY_PAGE_KIND: dict[str, tuple[LinkAction, ...]] = {
    "escalation": (LinkAction.ACKNOWLEDGE, LinkAction.RESOLVE),
    "sla_warning": (LinkAction.ACKNOWLEDGE, LinkAction.RESOLVE),
    "sla_breach": (LinkAction.ACKNOWLEDGE, LinkAction.RESOLVE),
    "resolved": (),
}


def link_actions(page_kind: str) -> tuple[LinkAction, ...]:
    """The links a page of this kind carries for each recipient.

    Escalations and SLA messages ask for a response: acknowledge and resolve. A resolved incident has nothing left
    to do. Any other page (reassigned, escalation path exhausted) offers acknowledge only.
    """
    return _ACTIONS_BY_PAGE_KIND.get(page_kind, (LinkAction.ACKNOWLEDGE,))


def sign_link(secret: bytes, incident_id: str, action: LinkAction, responder: str, expires_at: datetime) -> str:
    """A token for ``action`` on ``incident_id`` by ``responder``, valid until ``expires_at`` (floored to seconds)."""
    _require_secret(secret)
    if not incident_id or not responder:
        raise ValueError("a link needs an incident id and a responder")
    payload = {"i": incident_id, "a": LinkAction(action).value, "r": responder, "e": _unix_seconds(expires_at)}
    encoded = _encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{encoded}.{_signature(secret, encoded)}"


def verify_link(secret: bytes | Sequence[bytes], token: str, now: datetime) -> LinkClaims:
    """The claims of a token signed with any of ``secret`` (one, or a list newest first), unexpired at ``now``.

    Raises ``InvalidLink`` ("link is malformed", "link signature does not match") or ``ExpiredLink``
    ("link expired at 2026-11-29 09:00:00 UTC"). A link is valid strictly before its expiry.
    """
    secrets = [secret] if isinstance(secret, bytes) else list(secret)
    if not secrets:
        raise ValueError("verify_link needs at least one secret")
    for each in secrets:
        _require_secret(each)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")

    payload_text, signature_text = _split(token)
    if not any(hmac.compare_digest(_signature(each, payload_text), signature_text) for each in secrets):
        raise InvalidLink(SIGNATURE_MISMATCH)
    try:
        payload = _Payload.model_validate_json(_decode(payload_text))
    except (ValueError, ValidationError) as error:  # bad base64 (binascii.Error is a ValueError), JSON or types
        raise InvalidLink(MALFORMED) from error

    expires_at = datetime.fromtimestamp(payload.e, UTC)
    if now >= expires_at:
        raise ExpiredLink(f"link expired at {as_utc(expires_at)}")
    return LinkClaims(incident_id=payload.i, action=payload.a, responder=payload.r, expires_at=expires_at)


def _split(token: str) -> tuple[str, str]:
    """The payload and signature texts, if the token has the right shape; nothing is decoded yet."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidLink(MALFORMED)
    parts = token.split(".")
    if len(parts) != 2:
        raise InvalidLink(MALFORMED)
    payload_text, signature_text = parts
    if not _BASE64URL.fullmatch(payload_text) or not _BASE64URL.fullmatch(signature_text):
        raise InvalidLink(MALFORMED)
    if len(signature_text) != _SIGNATURE_LENGTH:
        raise InvalidLink(MALFORMED)
    return payload_text, signature_text


def _signature(secret: bytes, payload_text: str) -> str:
    return _encode(hmac.new(secret, payload_text.encode("ascii"), hashlib.sha256).digest())


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    """Unpadded base64url to bytes; ``text`` has already been checked against the alphabet."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError(f"not base64url: {error}") from error


def _unix_seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    seconds = int(moment.timestamp() // 1)
    if not 0 <= seconds <= _MAX_EXPIRY:
        raise ValueError(f"expires_at {moment.isoformat()} is outside 1970..9999")
    return seconds


def _require_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or not secret:
        raise ValueError("a link secret must be non-empty bytes")
