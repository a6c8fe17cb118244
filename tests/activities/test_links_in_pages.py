"""One-click links in pages: signed per recipient in the notify activity, sent in the webhook body and the log line."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import ActivityEnvironment

from activities.notify import LogChannel, NotifyActivities, WebhookChannel
from activities.page_links import LinkSigner
from adapters.settings import Settings
from domain.errors import ConfigError, ExpiredLink, InvalidLink
from domain.incident import Page
from domain.messages.steps import DeliveryResult, NotificationRequest
from domain.models import Priority
from domain.policy.notification_retries import idempotency_key
from domain.signed_links import LinkAction, LinkClaims, verify_link
from tests.support.receiver import Receiver
from worker import build_link_signer

INCIDENT_ID = "INC-20261128-0042"
HOOK_PATH = "/hooks/pages"
SECRET = b"k" * 32
PUBLIC_URL = "https://incidents.example.com/"
LINK_PREFIX = "https://incidents.example.com/v1/links/"
NOW = datetime(2026, 11, 28, 9, 0, 30, tzinfo=UTC)
TTL = timedelta(hours=24)
EXPIRES_AT = datetime(2026, 11, 29, 9, 0, 30, tzinfo=UTC)
SUBJECT = "[P1] shop-payments: Checkout returns 502"
TEXT = f"level 1: please acknowledge\nIncident {INCIDENT_ID} — Checkout returns 502"


def signer(public_url: str = PUBLIC_URL) -> LinkSigner:
    return LinkSigner(secret=SECRET, ttl=TTL, public_url=public_url, clock=lambda: NOW)


def make_request(
    kind: str = "escalation", recipients: tuple[str, ...] = ("amara", "bo"), channel: str = "webhook"
) -> NotificationRequest:
    step = "resolved" if kind == "resolved" else "page-0"
    page = Page(step=step, kind=kind, recipients=list(recipients), subject=SUBJECT, text=TEXT, level=1)
    return NotificationRequest(
        incident_id=INCIDENT_ID,
        channel=channel,
        page=page,
        priority=Priority.P1,
        service="shop-payments",
        idempotency_key=idempotency_key(INCIDENT_ID, step, channel),
    )


async def post(
    receiver: Receiver, http: httpx.AsyncClient, request: NotificationRequest, links: LinkSigner | None
) -> dict[str, object]:
    activities = NotifyActivities({"webhook": WebhookChannel(http, receiver.url(HOOK_PATH))}, links)
    result = await ActivityEnvironment().run(activities.send_notification, request)
    assert result == DeliveryResult(channel="webhook", detail="HTTP 200")
    [sent] = receiver.requests
    body: dict[str, object] = sent.json
    return body


def claims_of(url: str) -> LinkClaims:
    assert url.startswith(LINK_PREFIX)
    return verify_link(SECRET, url.removeprefix(LINK_PREFIX), NOW)


def expected_body(request: NotificationRequest) -> dict[str, object]:
    return {
        "incident_id": INCIDENT_ID,
        "event": request.page.kind,
        "step": request.page.step,
        "priority": "P1",
        "service": "shop-payments",
        "level": 1,
        "recipients": request.page.recipients,
        "subject": SUBJECT,
        "text": TEXT,
    }


# ---- the webhook -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["escalation", "sla_warning", "sla_breach"])
async def test_webhook_body_carries_acknowledge_and_resolve_links_for_each_recipient(
    receiver: Receiver, http: httpx.AsyncClient, kind: str
) -> None:
    request = make_request(kind)

    body = await post(receiver, http, request, signer())

    links = body.pop("links")
    assert body == expected_body(request)
    assert isinstance(links, dict)
    assert sorted(links) == ["amara", "bo"]
    for responder in ("amara", "bo"):
        assert sorted(links[responder]) == ["acknowledge", "resolve"]
        for action in LinkAction:
            assert claims_of(links[responder][action.value]) == LinkClaims(
                incident_id=INCIDENT_ID, action=action, responder=responder, expires_at=EXPIRES_AT
            )


@pytest.mark.parametrize("kind", ["exhausted", "reassigned"])
async def test_pages_that_ask_for_no_resolution_carry_acknowledge_links_only(
    receiver: Receiver, http: httpx.AsyncClient, kind: str
) -> None:
    body = await post(receiver, http, make_request(kind, recipients=("amara",)), signer())

    links = body["links"]
    assert isinstance(links, dict)
    assert list(links) == ["amara"]
    assert list(links["amara"]) == ["acknowledge"]
    assert claims_of(links["amara"]["acknowledge"]) == LinkClaims(
        incident_id=INCIDENT_ID, action=LinkAction.ACKNOWLEDGE, responder="amara", expires_at=EXPIRES_AT
    )


async def test_link_from_one_recipient_does_not_name_another(receiver: Receiver, http: httpx.AsyncClient) -> None:
    body = await post(receiver, http, make_request(), signer())

    links = body["links"]
    assert isinstance(links, dict)
    tokens = {url for urls in links.values() for url in urls.values()}
    assert len(tokens) == 4
    assert claims_of(links["bo"]["acknowledge"]).responder == "bo"


async def test_public_url_with_a_path_and_no_trailing_slash(receiver: Receiver, http: httpx.AsyncClient) -> None:
    body = await post(receiver, http, make_request(recipients=("amara",)), signer("https://example.com/incidents"))

    links = body["links"]
    assert isinstance(links, dict)
    url = links["amara"]["resolve"]
    assert url.startswith("https://example.com/incidents/v1/links/")
    token = url.removeprefix("https://example.com/incidents/v1/links/")
    assert verify_link(SECRET, token, NOW).action is LinkAction.RESOLVE


async def test_no_links_without_a_secret(receiver: Receiver, http: httpx.AsyncClient) -> None:
    request = make_request()

    body = await post(receiver, http, request, None)

    assert body == expected_body(request)


async def test_no_links_on_resolved_pages(receiver: Receiver, http: httpx.AsyncClient) -> None:
    request = make_request("resolved")

    body = await post(receiver, http, request, signer())

    assert body == expected_body(request)
    assert body["event"] == "resolved"


async def test_no_links_when_nobody_is_paged(receiver: Receiver, http: httpx.AsyncClient) -> None:
    request = make_request(recipients=())

    body = await post(receiver, http, request, signer())

    assert body == expected_body(request)


async def test_links_expire_ttl_after_the_attempt(receiver: Receiver, http: httpx.AsyncClient) -> None:
    body = await post(receiver, http, make_request(recipients=("amara",)), signer())

    links = body["links"]
    assert isinstance(links, dict)
    token = links["amara"]["acknowledge"].removeprefix(LINK_PREFIX)
    assert verify_link(SECRET, token, EXPIRES_AT - timedelta(seconds=1)).responder == "amara"
    with pytest.raises(ExpiredLink) as caught:
        verify_link(SECRET, token, EXPIRES_AT)
    assert str(caught.value) == "link expired at 2026-11-29 09:00:30 UTC"


# ---- the log channel ---------------------------------------------------------------------------------


TOKEN_SHAPED = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}")
"""What a link token looks like (``<payload>.<signature>``, base64url), wherever it stands in a text."""


def verifying_tokens(text: str) -> list[str]:
    """Every token-shaped piece of ``text`` that ``verify_link`` accepts: what could act as a responder."""
    found = []
    for candidate in TOKEN_SHAPED.findall(text):
        try:
            verify_link(SECRET, candidate, NOW)
        except InvalidLink:
            continue
        found.append(candidate)
    return found


def test_the_token_scan_finds_a_working_link() -> None:
    [url] = signer().links_for(INCIDENT_ID, make_request("exhausted", recipients=("amara",)).page)["amara"].values()

    assert verifying_tokens(f"text before {url} and after") == [url.removeprefix(LINK_PREFIX)]


async def test_log_line_names_the_links_sent_and_carries_none(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger of the process: nothing logged may act as a responder
    request = make_request(channel="log")
    links = signer().links_for(INCIDENT_ID, request.page)  # the very tokens the attempt signs: same clock

    result = await ActivityEnvironment().run(
        NotifyActivities({"log": LogChannel()}, signer()).send_notification, request
    )

    assert result == DeliveryResult(channel="log", detail="written to the worker log")
    [line] = [record for record in caplog.records if record.name == "incidents.notifications"]
    assert line.getMessage() == (
        f"page {INCIDENT_ID}:page-0:log to amara,bo: {SUBJECT} | "
        f"level 1: please acknowledge | Incident {INCIDENT_ID} — Checkout returns 502 | "
        "links (not logged): amara acknowledge, resolve; bo acknowledge, resolve"
    )
    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert verifying_tokens(logged) == []
    assert [url for urls in links.values() for url in urls.values() if url in logged] == []
    assert LINK_PREFIX not in logged


async def test_log_line_without_links_is_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="incidents.notifications")

    await ActivityEnvironment().run(
        NotifyActivities({"log": LogChannel()}, signer()).send_notification, make_request("resolved", channel="log")
    )

    [line] = [record for record in caplog.records if record.name == "incidents.notifications"]
    assert line.getMessage() == (
        f"page {INCIDENT_ID}:resolved:log to amara,bo: {SUBJECT} | "
        f"level 1: please acknowledge | Incident {INCIDENT_ID} — Checkout returns 502"
    )


# ---- the signer and the worker's wiring --------------------------------------------------------------


def test_signer_is_built_from_settings() -> None:
    settings = Settings(link_secret=SecretStr("k" * 32), public_url=PUBLIC_URL, link_ttl_seconds=600)

    built = build_link_signer(settings)

    assert built is not None
    assert (built.secret, built.ttl, built.public_url) == (SECRET, timedelta(minutes=10), PUBLIC_URL)
    assert "k" * 32 not in repr(built)
    before = datetime.now(UTC)
    [url] = built.links_for(INCIDENT_ID, make_request("exhausted", recipients=("amara",)).page)["amara"].values()
    expires_at = verify_link(SECRET, url.removeprefix(LINK_PREFIX), datetime.now(UTC)).expires_at
    assert (
        before.replace(microsecond=0) + timedelta(minutes=10) <= expires_at <= datetime.now(UTC) + timedelta(minutes=10)
    )


def test_no_signer_without_a_secret() -> None:
    assert build_link_signer(Settings(link_secret=None)) is None


def test_a_short_secret_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        build_link_signer(Settings(link_secret=SecretStr("short")))

    assert str(caught.value) == (
        "INCIDENTS_LINK_SECRET is 5 bytes long: use at least 32 (e.g. `openssl rand -hex 32`), "
        "or unset it to send pages without links"
    )


@pytest.mark.parametrize(
    ("secret", "ttl", "message"),
    [
        (b"", TTL, "the link secret is empty"),
        (SECRET, timedelta(0), "the link ttl must be positive, not 0:00:00"),
    ],
)
def test_signer_refuses_an_empty_secret_or_ttl(secret: bytes, ttl: timedelta, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        LinkSigner(secret=secret, ttl=ttl, public_url=PUBLIC_URL)

    assert str(caught.value) == message
