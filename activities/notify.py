"""Deliver one page through one channel. One attempt per call: the workflow records each attempt and retries.

The channels live in ``activities.channels``, one module each behind the ``Channel`` interface. Their errors carry a
stable ``type`` so the workflow can tell what to retry: ``ChannelUnavailable`` (timeout, connection refused),
``ChannelServerError`` (5xx, SMTP 4xx), ``ChannelRateLimited`` (429, honouring Retry-After) are retried;
``ChannelRejected`` (other 4xx, SMTP 5xx), ``NoContactAddress`` and ``UnknownChannel`` are not.

With a ``LinkSigner`` the activity signs one-click acknowledge/resolve links for every recipient and hands them to
the channel: the webhook body gets ``links`` (recipient → action → URL), Slack a line per recipient, each email only
the links of the person it is addressed to; the log line says which links went to whom, never the URLs. A page
without links (no secret configured, a ``resolved`` page, nobody to page) is sent exactly as before.
"""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels.base import USER_AGENT, Channel
from activities.channels.http import retry_after
from activities.channels.log import LogChannel
from activities.channels.webhook import WebhookChannel
from activities.page_links import LinkSigner
from domain.messages.steps import DeliveryResult, NotificationRequest
from domain.policy.notification_retries import HEARTBEAT_EVERY

__all__ = [
    "NOTIFICATION_FAILURES",
    "USER_AGENT",
    "Channel",
    "LogChannel",
    "NotifyActivities",
    "WebhookChannel",
    "retry_after",
]

NOTIFICATION_FAILURES = "notification_failures"
"""Counter of failed delivery attempts (the activity raised), with attribute ``channel``."""


class NotifyActivities:
    def __init__(self, channels: dict[str, Channel], links: LinkSigner | None = None) -> None:
        self._channels = channels
        self._links = links

    @activity.defn(name="send_notification")
    async def send_notification(self, request: NotificationRequest) -> DeliveryResult:
        """One attempt, heartbeating while the channel works: an attempt whose worker dies is retried within seconds
        (the workflow's heartbeat timeout), not after the attempt's whole timeout."""
        heartbeats = asyncio.create_task(_heartbeat_until_cancelled())
        try:
            return await self._send(request)
        except Exception:
            activity.metric_meter().create_counter(NOTIFICATION_FAILURES, "Failed delivery attempts, by channel").add(
                1, {"channel": request.channel}
            )
            raise
        finally:
            heartbeats.cancel()

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


async def _heartbeat_until_cancelled() -> None:
    """Tell Temporal the attempt's worker is alive, every ``HEARTBEAT_EVERY`` (the SDK sends the latest at most once
    per the worker's heartbeat throttle interval)."""
    while True:
        activity.heartbeat()
        await asyncio.sleep(HEARTBEAT_EVERY.total_seconds())
