"""The generic webhook against a real receiver: signed JSON, Idempotency-Key, retries, named endpoints, settings."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import timedelta

import httpx
import pytest

from activities.channels.signature import SIGNATURE_HEADER, signature_header, verify_signature
from activities.channels.webhook import WebhookChannel
from adapters.catalog_file import LoadedCatalog
from adapters.settings import Settings
from domain.errors import ConfigError
from tests.support.channel_pages import INCIDENT_ID, TEXT, make_request, send, send_failing, signer
from tests.support.receiver import Receiver, Reply
from worker import build_channels

SECRET = b"s" * 32
SENT_AT = 1_795_856_400  # 2026-11-28 08:20:00 UTC
KEY = f"{INCIDENT_ID}:page-0:webhook"
BODY = {
    "incident_id": INCIDENT_ID,
    "event": "escalation",
    "step": "page-0",
    "priority": "P1",
    "service": "shop-payments",
    "level": 1,
    "recipients": ["amara", "chen"],
    "subject": "[P1] shop-payments: Checkout returns 502",
    "text": TEXT,
}


class Clock:
    """Unix seconds that move forward by ``step`` each time they are read."""

    def __init__(self, start: int, step: int = 0) -> None:
        self.now, self.step = start, step

    def __call__(self) -> float:
        now, self.now = self.now, self.now + self.step
        return float(now)


def signed(http: httpx.AsyncClient, url: str, clock: Clock | None = None) -> WebhookChannel:
    return WebhookChannel(http, url, secret=SECRET, clock=clock or Clock(SENT_AT))


def expected_signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """Computed here by hand, independently of the module under test."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# ---- what is sent --------------------------------------------------------------------------------------


async def test_the_page_is_posted_as_json_with_key_and_signature(receiver: Receiver, http: httpx.AsyncClient) -> None:
    result = await send("webhook", signed(http, receiver.url("/hooks")), make_request("webhook"))

    assert (result.channel, result.detail) == ("webhook", "HTTP 200")
    [sent] = receiver.requests
    assert (sent.method, sent.path) == ("POST", "/hooks")
    assert sent.json == BODY
    assert sent.headers["idempotency-key"] == KEY
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"] == "incident-pipeline/0.1"
    assert sent.headers["incident-signature"] == expected_signature(SECRET, SENT_AT, sent.body)
    assert verify_signature(SECRET, sent.headers["incident-signature"], sent.body, now=SENT_AT + 1) is True
    assert receiver.deliveries == {KEY: 1}


async def test_without_a_secret_nothing_is_signed(receiver: Receiver, http: httpx.AsyncClient) -> None:
    await send("webhook", WebhookChannel(http, receiver.url("/hooks")), make_request("webhook"))

    [sent] = receiver.requests
    assert "incident-signature" not in sent.headers
    assert sent.json == BODY


async def test_links_are_in_the_signed_body(receiver: Receiver, http: httpx.AsyncClient) -> None:
    links = signer()
    request = make_request("webhook")
    await send("webhook", signed(http, receiver.url("/hooks")), request, links)

    [sent] = receiver.requests
    assert sent.json == {**BODY, "links": links.links_for(INCIDENT_ID, request.page)}
    assert sorted(sent.json["links"]) == ["amara", "chen"]
    assert verify_signature(SECRET, sent.headers["incident-signature"], sent.body, now=SENT_AT) is True


# ---- verifying a signature, as a receiver does ---------------------------------------------------------


async def test_a_receiver_refuses_what_was_tampered_with_or_signed_otherwise(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await send("webhook", signed(http, receiver.url("/hooks")), make_request("webhook"))
    [sent] = receiver.requests
    header, body = sent.headers["incident-signature"], sent.body
    tampered = body.replace(b'"priority":"P1"', b'"priority":"P4"')

    assert tampered != body
    assert verify_signature(SECRET, header, body, now=SENT_AT) is True
    assert verify_signature(SECRET, header, tampered, now=SENT_AT) is False
    assert verify_signature(b"t" * 32, header, body, now=SENT_AT) is False
    assert verify_signature(SECRET, header, body, now=SENT_AT + 300) is True
    assert verify_signature(SECRET, header, body, now=SENT_AT + 301) is False  # stale: a replayed capture
    assert verify_signature(SECRET, header, body, now=SENT_AT - 301) is False  # from the future
    assert verify_signature(SECRET, header, body, now=SENT_AT + 3600, tolerance=3600) is True
    other_time = header.replace(f"t={SENT_AT}", f"t={SENT_AT + 60}")
    assert verify_signature(SECRET, other_time, body, now=SENT_AT + 60) is False  # the timestamp is signed too


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"t={SENT_AT}",
        "v1=" + "0" * 64,
        f"t=soon,v1={'0' * 64}",
        f"t={SENT_AT},v1=",
        f"t={SENT_AT},v0={hmac.new(SECRET, f'{SENT_AT}.{{}}'.encode(), hashlib.sha256).hexdigest()}",
    ],
)
def test_malformed_headers_never_verify(header: str) -> None:
    assert verify_signature(SECRET, header, b"{}", now=SENT_AT) is False


def test_one_matching_signature_of_several_is_enough() -> None:
    """While a secret is being replaced, a header may carry a signature for each."""
    body = b'{"a":1}'
    old = signature_header(b"o" * 32, body, SENT_AT)
    new = signature_header(SECRET, body, SENT_AT)
    both = f"{old},{new.split(',')[1]}"

    assert both.count("v1=") == 2
    assert verify_signature(SECRET, both, body, now=SENT_AT) is True
    assert verify_signature(b"o" * 32, both, body, now=SENT_AT) is True
    assert verify_signature(b"x" * 32, both, body, now=SENT_AT) is False


# ---- retries and idempotency ---------------------------------------------------------------------------


async def test_a_retry_sends_the_same_body_and_key_with_a_fresh_signature(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.script(503, 200)
    channel = signed(http, receiver.url("/hooks"), Clock(SENT_AT, step=7))
    request = make_request("webhook")

    failed = await send_failing("webhook", channel, request)
    delivered = await send("webhook", channel, request)
    repeated = await send("webhook", channel, request)  # the completion was lost: Temporal ran it again

    assert (failed.type, failed.message, failed.non_retryable) == (
        "ChannelServerError",
        "HTTP 503 Service Unavailable",
        False,
    )
    assert delivered.detail == repeated.detail == "HTTP 200"
    assert [sent.idempotency_key for sent in receiver.requests] == [KEY, KEY, KEY]
    assert len({sent.body for sent in receiver.requests}) == 1
    headers = [sent.headers["incident-signature"] for sent in receiver.requests]
    assert [header.split(",")[0] for header in headers] == [f"t={SENT_AT}", f"t={SENT_AT + 7}", f"t={SENT_AT + 14}"]
    for moment, sent in zip((SENT_AT, SENT_AT + 7, SENT_AT + 14), receiver.requests, strict=True):
        assert verify_signature(SECRET, sent.headers["incident-signature"], sent.body, now=moment) is True
    assert receiver.statuses == [503, 200, 200]
    assert receiver.deliveries == {KEY: 1}
    assert receiver.duplicates == {KEY: 1}


async def test_rate_limited_with_retry_after(receiver: Receiver, http: httpx.AsyncClient) -> None:
    receiver.script(Reply(429, headers={"Retry-After": "42"}))

    error = await send_failing("webhook", signed(http, receiver.url("/hooks")), make_request("webhook"))

    assert (error.type, error.message, error.non_retryable) == (
        "ChannelRateLimited",
        "HTTP 429 Too Many Requests",
        False,
    )
    assert error.next_retry_delay == timedelta(seconds=42)


@pytest.mark.parametrize(
    ("status", "kind", "final"), [(500, "ChannelServerError", False), (400, "ChannelRejected", True)]
)
async def test_server_errors_are_retried_and_refusals_are_not(
    receiver: Receiver, http: httpx.AsyncClient, status: int, kind: str, final: bool
) -> None:
    receiver.script(status)

    error = await send_failing("webhook", signed(http, receiver.url("/hooks")), make_request("webhook"))

    assert (error.type, error.non_retryable) == (kind, final)
    assert receiver.deliveries == {}


# ---- named endpoints and settings ---------------------------------------------------------------------


def closed_port_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


async def test_every_endpoint_is_its_own_channel_with_its_own_secret(
    receiver: Receiver, http: httpx.AsyncClient, catalog: LoadedCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoints = [
        {"name": "ops", "url": receiver.url("/ops"), "secret": "o" * 40},
        {"name": "status-page", "url": receiver.url("/status"), "secret": "p" * 32},
        {"name": "down", "url": closed_port_url(), "secret": "d" * 32},
    ]
    monkeypatch.setenv("INCIDENTS_WEBHOOK_URL", receiver.url("/main"))
    monkeypatch.setenv("INCIDENTS_WEBHOOK_SECRET", "m" * 32)
    monkeypatch.setenv("INCIDENTS_WEBHOOKS", json.dumps(endpoints))
    monkeypatch.setenv("INCIDENTS_LOG_CHANNEL", "false")
    settings = Settings()
    channels = build_channels(settings, http, catalog.catalog.users)

    assert settings.channels == list(channels) == ["webhook", "webhook:ops", "webhook:status-page", "webhook:down"]
    for name in ("webhook", "webhook:ops", "webhook:status-page"):
        result = await send(name, channels[name], make_request(name))
        assert (result.channel, result.detail) == (name, "HTTP 200")
    error = await send_failing("webhook:down", channels["webhook:down"], make_request("webhook:down"))

    assert error.type == "ChannelUnavailable"
    assert error.message.startswith("webhook:down unreachable: ConnectError(")
    assert [(sent.path, sent.idempotency_key) for sent in receiver.requests] == [
        ("/main", KEY),
        ("/ops", f"{INCIDENT_ID}:page-0:webhook:ops"),
        ("/status", f"{INCIDENT_ID}:page-0:webhook:status-page"),
    ]
    for sent, secret in zip(receiver.requests, (b"m" * 32, b"o" * 40, b"p" * 32), strict=True):
        header = sent.headers["incident-signature"]
        sent_at = int(header.split(",")[0].removeprefix("t="))
        assert verify_signature(secret, header, sent.body, now=sent_at) is True
        assert verify_signature(b"z" * 32, header, sent.body, now=sent_at) is False


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (
            {"webhook_url": "http://127.0.0.1:9/hooks", "webhook_secret": "short"},
            "INCIDENTS_WEBHOOK_SECRET is 5 bytes long: use at least 32 (e.g. `openssl rand -hex 32`)",
        ),
        (
            {"webhook_secret": "m" * 32},
            "INCIDENTS_WEBHOOK_SECRET is set but INCIDENTS_WEBHOOK_URL is not: set both, or neither",
        ),
        (
            {"webhooks": [{"name": "ops", "url": "http://127.0.0.1:9/a", "secret": "x" * 31}]},
            "INCIDENTS_WEBHOOKS.0.secret is 31 bytes long: use at least 32 (e.g. `openssl rand -hex 32`)",
        ),
        (
            {
                "webhooks": [
                    {"name": "ops", "url": "http://127.0.0.1:9/a", "secret": "x" * 32},
                    {"name": "ops", "url": "http://127.0.0.1:9/b", "secret": "y" * 32},
                ]
            },
            "INCIDENTS_WEBHOOKS.1.name: 'ops' is used by an earlier webhook",
        ),
    ],
)
def test_misconfigured_webhooks_name_the_setting(
    values: dict[str, object], problem: str, http: httpx.AsyncClient, catalog: LoadedCatalog
) -> None:
    settings = Settings.model_validate(values)

    with pytest.raises(ConfigError) as caught:
        build_channels(settings, http, catalog.catalog.users)

    assert str(caught.value) == problem
    assert "x" * 31 not in str(caught.value)


def test_an_endpoint_name_must_fit_in_a_channel_name() -> None:
    with pytest.raises(ValueError, match=r"webhooks\.0\.name"):
        Settings.model_validate({"webhooks": [{"name": "Ops Team", "url": "http://127.0.0.1:9/", "secret": "x" * 32}]})


def test_the_signature_header_is_named_as_documented() -> None:
    assert SIGNATURE_HEADER == "Incident-Signature"
    assert signature_header(SECRET, b"{}", SENT_AT) == expected_signature(SECRET, SENT_AT, b"{}")
