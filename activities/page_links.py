"""Signed one-click links for pages, made in the notify activity so the secret never reaches the workflow.

Every recipient of a page gets their own links (the token names them), ``{public_url}/v1/links/{token}``, expiring
``ttl`` after the attempt that made them. A retried delivery makes fresh links under the same idempotency key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.incident import Page
from domain.signed_links import link_actions, sign_link

PageLinks = dict[str, dict[str, str]]
"""Recipient → action (``acknowledge``, ``resolve``) → URL; empty when the page carries no links."""

LINK_PATH = "/v1/links/"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LinkSigner:
    secret: bytes = field(repr=False)
    ttl: timedelta
    public_url: str
    """The API's base URL as people reach it; a trailing slash is ignored."""
    clock: Callable[[], datetime] = utc_now

    def __post_init__(self) -> None:
        if not self.secret:
            raise ValueError("the link secret is empty")
        if self.ttl <= timedelta(0):
            raise ValueError(f"the link ttl must be positive, not {self.ttl}")

    def links_for(self, incident_id: str, page: Page) -> PageLinks:
        actions = link_actions(page.kind)
        if not actions:
            return {}
        expires_at = self.clock() + self.ttl
        base = self.public_url.rstrip("/") + LINK_PATH
        return {
            recipient: {
                action.value: base + sign_link(self.secret, incident_id, action, recipient, expires_at)
                for action in actions
            }
            for recipient in page.recipients
        }
