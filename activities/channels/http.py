"""One POST, one answer: HTTP outcomes and Retry-After mapped to results and typed errors, for every HTTP channel.

2xx is delivered; 429 is ``ChannelRateLimited`` with the delay the receiver asked for; 5xx and 408 are
``ChannelServerError``; timeouts and connection errors ``ChannelUnavailable``; any other answer (4xx, a redirect,
which is never followed) is a non-retryable ``ChannelRejected``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from temporalio.exceptions import ApplicationError

from activities.channels.base import RATE_LIMITED, SERVER_ERROR, UNAVAILABLE, USER_AGENT, rejected

MAX_RETRY_AFTER = timedelta(hours=1)


async def post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], total_timeout: float, what: str
) -> str:
    """POST ``body`` (JSON) and return ``HTTP <status>``, or raise the typed error; ``what`` names the channel."""
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        async with asyncio.timeout(total_timeout):  # httpx's timeouts are per phase, this is the whole call
            response = await client.post(url, content=body, headers=sent)
    except (httpx.TimeoutException, TimeoutError) as error:
        raise ApplicationError(f"{what} timed out: {error!r}", type=UNAVAILABLE) from error
    except httpx.TransportError as error:
        # httpx's messages never carry the URL, which for Slack is the secret
        raise ApplicationError(f"{what} unreachable: {error!r}", type=UNAVAILABLE) from error
    return outcome(response)


def outcome(response: httpx.Response) -> str:
    status = response.status_code
    if status < 300:
        return f"HTTP {status}"
    reason = f"HTTP {status} {response.reason_phrase}".strip()
    if status == 429:
        raise ApplicationError(reason, type=RATE_LIMITED, next_retry_delay=retry_after(response))
    if status >= 500 or status == 408:
        raise ApplicationError(reason, type=SERVER_ERROR)
    raise rejected(reason)


def retry_after(response: httpx.Response, now: datetime | None = None) -> timedelta | None:
    """The delay a receiver asks for, in seconds or as an HTTP date; capped at an hour."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return timedelta(seconds=min(int(value), int(MAX_RETRY_AFTER.total_seconds())))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delay = when - (now or datetime.now(UTC))
    return min(max(delay, timedelta(0)), MAX_RETRY_AFTER)
