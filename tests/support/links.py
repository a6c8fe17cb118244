"""Signed one-click links made the way pages carry them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.signed_links import LinkAction, sign_link
from tests.support.gateway import LINK_SECRET

SECRET = LINK_SECRET.encode()


def link(
    incident_id: str, action: LinkAction, responder: str = "amara", hours: float = 1.0, secret: bytes = SECRET
) -> str:
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)
    return sign_link(secret, incident_id, action, responder, expires_at)
