"""Webhook signatures: ``Incident-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``.

Standard library only, so a receiver can copy this file as it is. The receiver verifies the raw body bytes exactly as
received (before any JSON parsing), with the endpoint's secret, and refuses timestamps older (or newer) than its
tolerance, which stops a captured request from being replayed later::

    from signature import SIGNATURE_HEADER, verify_signature

    if not verify_signature(secret, request.headers[SIGNATURE_HEADER], raw_body, time.time()):
        return 401
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Incident-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def signature_header(secret: bytes, body: bytes, timestamp: int) -> str:
    """The header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},{SCHEME}={_digest(secret, timestamp, body)}"


def verify_signature(
    secret: bytes, header: str, body: bytes, now: float, tolerance: float = DEFAULT_TOLERANCE_SECONDS
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` at a time within ``tolerance`` seconds of ``now``.

    A header may carry several ``v1=`` values (one per secret while a secret is being replaced); one match is enough.
    """
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures or abs(now - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)


def _digest(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
