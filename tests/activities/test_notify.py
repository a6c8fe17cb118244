"""send_notification against a real HTTP receiver: what is sent, and how every answer becomes a result or error."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import USER_AGENT, LogChannel, NotifyActivities, WebhookChannel, retry_after
from adapters.catalog_file import LoadedCatalog
from adapters.settings import Settings
from domain.incident import Page
from domain.messages.steps import DeliveryResult, NotificationRequest
from domain.models import Priority
from domain.policy.notification_retries import idempotency_key
from tests.support.receiver import Receiver, Reply
from worker import build_channels

INCIDENT_ID = "INC-20261128-0042"
HOOK_PATH = "/hooks/pages"
PAGE_TEXT = (
    "level 1: please acknowledge\n"
    f"Incident {INCIDENT_ID} — Checkout returns 502\n"
    "Service: shop-payments\n"
    "Acknowledge by: 2026-11-28 09:05:00 UTC\n"
    "Resolve by: 2026-11-28 10:00:00 UTC"
)


def make_page(step: str = "page-0", recipients: list[str] | None = None) -> Page:
    return Page(
        step=step,
        kind="escalation",
        recipients=["amara"] if recipients is None else recipients,
        subject="[P1] shop-payments: Checkout returns 502",
        text=PAGE_TEXT,
        level=1,
    )


def make_request(
    channel: str = "webhook", step: str = "page-0", priority: Priority | None = Priority.P1
) -> NotificationRequest:
    return NotificationRequest(
        incident_id=INCIDENT_ID,
        channel=channel,
        page=make_page(step),
        priority=priority,
        service="shop-payments",
        idempotency_key=idempotency_key(INCIDENT_ID, step, channel),
    )


def webhook(http: httpx.AsyncClient, url: str) -> NotifyActivities:
    return NotifyActivities({"webhook": WebhookChannel(http, url)})


async def send(activities: NotifyActivities, request: NotificationRequest) -> DeliveryResult:
    return await ActivityEnvironment().run(activities.send_notification, request)


async def send_failing(activities: NotifyActivities, request: NotificationRequest) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await send(activities, request)
    return caught.value


def closed_port_url() -> str:
    """A URL on a port nobody listens on: bound to learn a free port, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{HOOK_PATH}"


# ---- what is sent ------------------------------------------------------------------------------------


async def test_webhook_posts_the_page_as_json_with_idempotency_key(receiver: Receiver, http: httpx.AsyncClient) -> None:
    result = await send(webhook(http, receiver.url(HOOK_PATH)), make_request())

    assert result == DeliveryResult(channel="webhook", detail="HTTP 200")
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent.method == "POST"
    assert sent.path == HOOK_PATH
    assert sent.json == {
        "incident_id": INCIDENT_ID,
        "event": "escalation",
        "step": "page-0",
        "priority": "P1",
        "service": "shop-payments",
        "level": 1,
        "recipients": ["amara"],
        "subject": "[P1] shop-payments: Checkout returns 502",
        "text": PAGE_TEXT,
    }
    assert sent.headers["idempotency-key"] == idempotency_key(INCIDENT_ID, "page-0", "webhook")
    assert sent.headers["idempotency-key"] == f"{INCIDENT_ID}:page-0:webhook"
    assert sent.headers["user-agent"] == USER_AGENT == "incident-pipeline/0.1"
    assert sent.headers["content-type"] == "application/json"
    assert receiver.deliveries == {f"{INCIDENT_ID}:page-0:webhook": 1}


async def test_unclassified_incident_is_sent_with_null_priority(receiver: Receiver, http: httpx.AsyncClient) -> None:
    await send(webhook(http, receiver.url(HOOK_PATH)), make_request(priority=None))

    assert receiver.requests[0].json["priority"] is None


@pytest.mark.parametrize("status", [200, 201, 202, 204])
async def test_any_2xx_is_delivered(receiver: Receiver, http: httpx.AsyncClient, status: int) -> None:
    receiver.script(status)

    result = await send(webhook(http, receiver.url(HOOK_PATH)), make_request())

    assert result == DeliveryResult(channel="webhook", detail=f"HTTP {status}")


async def test_each_page_and_channel_has_its_own_key(receiver: Receiver, http: httpx.AsyncClient) -> None:
    activities = webhook(http, receiver.url(HOOK_PATH))

    await send(activities, make_request(step="page-0"))
    await send(activities, make_request(step="page-1"))
    await send(activities, make_request(step="resolved"))

    assert [request.idempotency_key for request in receiver.requests] == [
        f"{INCIDENT_ID}:page-0:webhook",
        f"{INCIDENT_ID}:page-1:webhook",
        f"{INCIDENT_ID}:resolved:webhook",
    ]
    assert receiver.deliveries == {
        f"{INCIDENT_ID}:page-0:webhook": 1,
        f"{INCIDENT_ID}:page-1:webhook": 1,
        f"{INCIDENT_ID}:resolved:webhook": 1,
    }


async def test_same_idempotency_key_on_retry(receiver: Receiver, http: httpx.AsyncClient) -> None:
    """A retry after a 500, then a repeat after success (a completion lost in transit): the receiver pages once."""
    receiver.script(500, 200)
    activities = webhook(http, receiver.url(HOOK_PATH))
    request = make_request()
    key = idempotency_key(INCIDENT_ID, "page-0", "webhook")

    failed = await send_failing(activities, request)
    retried = await send(activities, request)
    repeated = await send(activities, request)

    assert failed.type == "ChannelServerError"
    assert retried == repeated == DeliveryResult(channel="webhook", detail="HTTP 200")
    assert [sent.idempotency_key for sent in receiver.requests] == [key, key, key]
    assert receiver.requests[0].body == receiver.requests[1].body == receiver.requests[2].body
    assert receiver.statuses == [500, 200, 200]
    assert [sent.duplicate for sent in receiver.requests] == [False, False, True]
    assert receiver.attempts(key) == 3
    assert receiver.deliveries == {key: 1}
    assert receiver.duplicates == {key: 1}


# ---- how answers become errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (500, "Internal Server Error"),
        (502, "Bad Gateway"),
        (503, "Service Unavailable"),
        (504, "Gateway Timeout"),
        (408, "Request Timeout"),
    ],
)
async def test_server_errors_are_retried(receiver: Receiver, http: httpx.AsyncClient, status: int, reason: str) -> None:
    receiver.script(status)

    error = await send_failing(webhook(http, receiver.url(HOOK_PATH)), make_request())

    assert error.type == "ChannelServerError"
    assert error.message == f"HTTP {status} {reason}"
    assert error.non_retryable is False
    assert error.next_retry_delay is None
    assert receiver.deliveries == {}


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (400, "Bad Request"),
        (401, "Unauthorized"),
        (403, "Forbidden"),
        (404, "Not Found"),
        (422, "Unprocessable Entity"),
        (301, "Moved Permanently"),
    ],
)
async def test_rejections_are_not_retried(
    receiver: Receiver, http: httpx.AsyncClient, status: int, reason: str
) -> None:
    receiver.script(Reply(status, headers={"Location": "http://127.0.0.1:1/elsewhere"} if status == 301 else {}))

    error = await send_failing(webhook(http, receiver.url(HOOK_PATH)), make_request())

    assert error.type == "ChannelRejected"
    assert error.message == f"HTTP {status} {reason}"
    assert error.non_retryable is True
    assert len(receiver.requests) == 1  # a redirect is not followed


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [
        ({"Retry-After": "7"}, timedelta(seconds=7)),
        ({"Retry-After": "0"}, timedelta(0)),
        ({"Retry-After": "86400"}, timedelta(hours=1)),
        ({}, None),
    ],
)
async def test_rate_limit_honours_retry_after(
    receiver: Receiver, http: httpx.AsyncClient, retry_after: dict[str, str], delay: timedelta | None
) -> None:
    receiver.script(Reply(429, headers=retry_after))

    error = await send_failing(webhook(http, receiver.url(HOOK_PATH)), make_request())

    assert error.type == "ChannelRateLimited"
    assert error.message == "HTTP 429 Too Many Requests"
    assert error.non_retryable is False
    assert error.next_retry_delay == delay


@pytest.mark.parametrize(
    ("value", "delay"),
    [
        ("Sat, 28 Nov 2026 09:00:30 GMT", timedelta(seconds=30)),
        ("Sat, 28 Nov 2026 08:59:00 GMT", timedelta(0)),
        ("Sun, 29 Nov 2026 09:00:00 GMT", timedelta(hours=1)),
        ("soon", None),
    ],
)
def test_retry_after_as_an_http_date(value: str, delay: timedelta | None) -> None:
    response = httpx.Response(429, headers={"Retry-After": value})
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert retry_after(response, now=now) == delay


async def test_whole_call_is_bounded_even_when_each_phase_is_quick(receiver: Receiver) -> None:
    receiver.script(Reply(200, delay=2.0))

    async with httpx.AsyncClient(timeout=httpx.Timeout(30), follow_redirects=False) as http:
        channel = WebhookChannel(http, receiver.url(HOOK_PATH), total_timeout=0.3)
        error = await send_failing(NotifyActivities({"webhook": channel}), make_request())

    assert error.type == "ChannelUnavailable"
    assert error.message == "webhook timed out: TimeoutError()"


async def test_connection_refused_is_unavailable(http: httpx.AsyncClient) -> None:
    error = await send_failing(webhook(http, closed_port_url()), make_request())

    assert error.type == "ChannelUnavailable"
    assert error.message.startswith("webhook unreachable: ConnectError(")
    assert error.non_retryable is False
    assert isinstance(error.__cause__, httpx.ConnectError)


async def test_slow_receiver_times_out_as_unavailable(receiver: Receiver) -> None:
    receiver.script(Reply(200, delay=2.0))

    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2), follow_redirects=False) as http:
        error = await send_failing(webhook(http, receiver.url(HOOK_PATH)), make_request())

    assert error.type == "ChannelUnavailable"
    assert error.message.startswith("webhook timed out: ReadTimeout(")
    assert error.non_retryable is False
    assert isinstance(error.__cause__, httpx.ReadTimeout)
    assert len(receiver.requests) == 1


async def test_unknown_channel_is_not_retried(receiver: Receiver, http: httpx.AsyncClient) -> None:
    error = await send_failing(webhook(http, receiver.url(HOOK_PATH)), make_request(channel="sms"))

    assert error.type == "UnknownChannel"
    assert error.message == "channel 'sms' is not configured on this worker"
    assert error.non_retryable is True
    assert receiver.requests == []


# ---- the log channel and the worker's wiring ---------------------------------------------------------


async def test_log_channel_writes_one_line_with_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="incidents.notifications")
    request = make_request(channel="log")

    result = await send(NotifyActivities({"log": LogChannel()}), request)

    assert result == DeliveryResult(channel="log", detail="written to the worker log")
    lines = [record for record in caplog.records if record.name == "incidents.notifications"]
    assert len(lines) == 1
    assert lines[0].levelno == logging.INFO
    assert lines[0].getMessage() == (
        f"page {INCIDENT_ID}:page-0:log to amara: [P1] shop-payments: Checkout returns 502 | "
        f"level 1: please acknowledge | Incident {INCIDENT_ID} — Checkout returns 502 | Service: shop-payments | "
        "Acknowledge by: 2026-11-28 09:05:00 UTC | Resolve by: 2026-11-28 10:00:00 UTC"
    )
    assert "\n" not in lines[0].getMessage()


async def test_log_channel_with_nobody_to_page(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="incidents.notifications")
    request = make_request(channel="log").model_copy(update={"page": make_page(recipients=[])})

    await send(NotifyActivities({"log": LogChannel()}), request)

    [line] = [record for record in caplog.records if record.name == "incidents.notifications"]
    assert line.getMessage().startswith(f"page {INCIDENT_ID}:page-0:log to -: [P1] shop-payments")


async def test_log_channel_keeps_a_title_with_line_breaks_on_one_line(caplog: pytest.LogCaptureFixture) -> None:
    """A report's title may contain line breaks; they must not forge a second log line."""
    caplog.set_level(logging.INFO, logger="incidents.notifications")
    page = make_page().model_copy(
        update={
            "subject": "[P1] shop-payments: Checkout\r\nINFO incidents.notifications: page forged",
            "text": "a\r\nb",
        }
    )
    request = make_request(channel="log").model_copy(update={"page": page})

    await send(NotifyActivities({"log": LogChannel()}), request)

    [line] = [record for record in caplog.records if record.name == "incidents.notifications"]
    assert line.getMessage() == (
        f"page {INCIDENT_ID}:page-0:log to amara: "
        "[P1] shop-payments: Checkout | INFO incidents.notifications: page forged | a | b"
    )


async def test_log_channel_removes_control_characters(caplog: pytest.LogCaptureFixture) -> None:
    """An ESC would steer the terminal of whoever tails the log; a NUL or a BEL has no business there either."""
    caplog.set_level(logging.INFO, logger="incidents.notifications")
    page = make_page().model_copy(
        update={"subject": "[P1] shop-payments: \x1b[31mCheck\x00out\x07\tfails\x7f\x9b", "text": "a\u2028b\x85c"}
    )
    request = make_request(channel="log").model_copy(update={"page": page})

    await send(NotifyActivities({"log": LogChannel()}), request)

    [line] = [record for record in caplog.records if record.name == "incidents.notifications"]
    assert (
        line.getMessage()
        == f"page {INCIDENT_ID}:page-0:log to amara: [P1] shop-payments: [31mCheckout fails | a | b | c"
    )


async def test_worker_wires_the_webhook_from_settings(
    receiver: Receiver, http: httpx.AsyncClient, catalog: LoadedCatalog
) -> None:
    settings = Settings(webhook_url=receiver.url(HOOK_PATH), log_channel=True)
    channels = build_channels(settings, http, catalog.catalog.users)

    result = await send(NotifyActivities(channels), make_request())

    assert sorted(channels) == settings.channels == ["log", "webhook"]
    assert result == DeliveryResult(channel="webhook", detail="HTTP 200")
    assert [(sent.method, sent.path) for sent in receiver.requests] == [("POST", HOOK_PATH)]
