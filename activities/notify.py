"""Deliver one page through one channel. One attempt per call: the workflow records each attempt and retries.

Errors carry a stable ``type`` so the workflow can tell what to retry:
``ChannelUnavailable`` (timeout, connection refused), ``ChannelServerError`` (5xx), ``ChannelRateLimited`` (429,
honouring Retry-After) are retried; ``ChannelRejected`` (other 4xx) and ``UnknownChannel`` are not.

With a ``LinkSigner`` the activity signs one-click acknowledge/resolve links for every recipient and hands them to
the channel: the webhook body gets ``links`` (recipient → action → URL), the log line a ``links:`` section. A page
without links (no secret configured, a ``resolved`` page, nobody to page) is sent exactly as before.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.links import LinkSigner, PageLinks
from domain.requests import DeliveryResult, NotificationRequest

logger = logging.getLogger("incidents.notifications")

USER_AGENT = "incident-pipeline/0.1"
NOTIFICATION_FAILURES = "notification_failures"
"""Counter of failed delivery attempts (the activity raised), with attribute ``channel``."""


class Channel(Protocol):
    async def deliver(self, request: NotificationRequest, links: PageLinks) -> str:
        """Deliver the page with its links (may be empty); return a short description or raise ApplicationError."""
        ...


class LogChannel:
    """Writes every page to the worker's log, one structured line each."""

    async def deliver(self, request: NotificationRequest, links: PageLinks) -> str:
        page = request.page
        logger.info(
            "page %s to %s: %s | %s%s",
            request.idempotency_key,
            ",".join(page.recipients) or "-",
            _one_line(page.subject),
            _one_line(page.text),
            _one_line(_links_section(links)),
        )
        return "written to the worker log"


def _links_section(links: PageLinks) -> str:
    """`` | links: amara acknowledge <url> resolve <url>; bob acknowledge <url> ...``, or nothing."""
    if not links:
        return ""
    people = (
        " ".join([recipient, *(f"{action} {url}" for action, url in urls.items())]) for recipient, urls in links.items()
    )
    return " | links: " + "; ".join(people)


def _one_line(text: str) -> str:
    """Line breaks (from a report's title or a page's text) would split one log entry into several."""
    return " | ".join(text.splitlines())


class WebhookChannel:
    """POSTs the page as JSON with an Idempotency-Key header, so a retried attempt never pages twice."""

    def __init__(self, client: httpx.AsyncClient, url: str, total_timeout: float = 10.0) -> None:
        self._client, self._url, self._total_timeout = client, url, total_timeout

    async def deliver(self, request: NotificationRequest, links: PageLinks) -> str:
        page = request.page
        body: dict[str, object] = {
            "incident_id": request.incident_id,
            "event": page.kind,
            "step": page.step,
            "priority": request.priority.value if request.priority else None,
            "service": request.service,
            "level": page.level,
            "recipients": page.recipients,
            "subject": page.subject,
            "text": page.text,
        }
        if links:
            body["links"] = links
        headers = {"Idempotency-Key": request.idempotency_key, "User-Agent": USER_AGENT}
        try:
            async with asyncio.timeout(self._total_timeout):  # httpx's timeouts are per phase, this is the whole call
                response = await self._client.post(self._url, json=body, headers=headers)
        except (httpx.TimeoutException, TimeoutError) as error:
            raise ApplicationError(f"webhook timed out: {error!r}", type="ChannelUnavailable") from error
        except httpx.TransportError as error:
            raise ApplicationError(f"webhook unreachable: {error!r}", type="ChannelUnavailable") from error
        return _outcome(response)


def retry_after(response: httpx.Response, now: datetime | None = None) -> timedelta | None:
    """The delay a receiver asks for, in seconds or as an HTTP date; capped at an hour."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return timedelta(seconds=min(int(value), 3600))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delay = when - (now or datetime.now(UTC))
    return min(max(delay, timedelta(0)), timedelta(hours=1))


def _outcome(response: httpx.Response) -> str:
    status = response.status_code
    if status < 300:
        return f"HTTP {status}"
    reason = f"HTTP {status} {response.reason_phrase}".strip()
    if status == 429:
        raise ApplicationError(reason, type="ChannelRateLimited", next_retry_delay=retry_after(response))
    if status >= 500 or status == 408:
        raise ApplicationError(reason, type="ChannelServerError")
    raise ApplicationError(reason, type="ChannelRejected", non_retryable=True)


class NotifyActivities:
    def __init__(self, channels: dict[str, Channel], links: LinkSigner | None = None) -> None:
        self._channels = channels
        self._links = links

    @activity.defn(name="send_notification")
    async def send_notification(self, request: NotificationRequest) -> DeliveryResult:
        try:
            return await self._send(request)
        except Exception:
            activity.metric_meter().create_counter(NOTIFICATION_FAILURES, "Failed delivery attempts, by channel").add(
                1, {"channel": request.channel}
            )
            raise

    async def _send(self, request: NotificationRequest) -> DeliveryResult:
        channel = self._channels.get(request.channel)
        if channel is None:
            raise ApplicationError(
                f"channel {request.channel!r} is not configured on this worker",
                type="UnknownChannel",
                non_retryable=True,
            )
        links = self._links.links_for(request.incident_id, request.page) if self._links else {}
        detail = await channel.deliver(request, links)
        return DeliveryResult(channel=request.channel, detail=detail)
