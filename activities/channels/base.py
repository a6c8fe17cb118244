"""The one interface every channel implements, and the error types a delivery attempt can raise.

``ChannelUnavailable`` (timeout, connection refused), ``ChannelServerError`` (5xx, SMTP 4xx) and
``ChannelRateLimited`` (429, honouring Retry-After) are retried by the workflow; ``ChannelRejected`` (other 4xx,
SMTP 5xx), ``NoContactAddress`` (nobody on the page can be reached on the channel) and ``UnknownChannel`` are not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from temporalio.exceptions import ApplicationError

from activities.page_links import PageLinks
from domain.messages.steps import NotificationRequest
from domain.policy.catalog import User
from domain.text import without_control_characters

USER_AGENT = "incident-pipeline/0.1"

UNAVAILABLE = "ChannelUnavailable"
SERVER_ERROR = "ChannelServerError"
RATE_LIMITED = "ChannelRateLimited"
REJECTED = "ChannelRejected"
NO_CONTACT = "NoContactAddress"


class Channel(Protocol):
    async def deliver(self, request: NotificationRequest, links: PageLinks) -> str:
        """Deliver the page with its links (may be empty); return a short description or raise ApplicationError."""
        ...


Users = Mapping[str, User]
"""The catalog's users by id: how channels find a recipient's address."""


def rejected(message: str) -> ApplicationError:
    return ApplicationError(message, type=REJECTED, non_retryable=True)


def display_name(users: Users, recipient: str) -> str:
    """The catalog's name for a recipient, or the id itself when the catalog does not know them."""
    user = users.get(recipient)
    return user.name if user is not None else recipient


def one_line(text: str) -> str:
    """Line breaks (from a report's title or a page's text) joined with `` | `` so they cannot forge a line; any
    other control character (an ESC that would steer a terminal) removed, a tab a space."""
    return without_control_characters(" | ".join(text.splitlines()))
