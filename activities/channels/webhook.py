"""The generic webhook: the page as JSON, an Idempotency-Key, and (with a secret) an HMAC-SHA256 signature.

The body is the same bytes on every attempt; the signature is made afresh for each attempt with its own timestamp.
How a receiver checks it: ``activities/channels/signature.py`` and docs/channels.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from activities.channels.http import post
from activities.channels.signature import SIGNATURE_HEADER, signature_header
from activities.page_links import PageLinks
from domain.messages.steps import NotificationRequest


class WebhookChannel:
    """POSTs the page as JSON with an Idempotency-Key header, so a retried attempt never pages twice."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        total_timeout: float = 10.0,
        *,
        secret: bytes | None = None,
        name: str = "webhook",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if secret is not None and not secret:
            raise ValueError(f"the secret of webhook {name!r} is empty")
        self._client, self._url, self._total_timeout = client, url, total_timeout
        self._secret, self._name, self._clock = secret, name, clock

    async def deliver(self, request: NotificationRequest, links: PageLinks) -> str:
        body = webhook_body(request, links)
        headers = {"Idempotency-Key": request.idempotency_key}
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = signature_header(self._secret, body, int(self._clock()))
        return await post(self._client, self._url, body, headers, self._total_timeout, self._name)


def webhook_body(request: NotificationRequest, links: PageLinks) -> bytes:
    """The JSON body, as the exact bytes that are signed and sent."""
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
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
