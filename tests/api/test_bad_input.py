"""Bad input at the edge: a clear 4xx naming the problem, never a 5xx, never an incident started from garbage.
And Temporal out of reach: 503 with Retry-After."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from adapters.incident_client import get_status
from api.app import create_app
from api.errors import NO_SUCH_ROUTE
from api.limits import MAX_BODY_BYTES
from api.routes.integrations import PAGERDUTY_UNPARSABLE
from domain.errors import TemporalUnavailable
from domain.models import Priority
from domain.signed_links import LinkAction
from tests.support.alertmanager import alert, group_key, notification
from tests.support.gateway import (
    ALERTMANAGER_KEY,
    AMARA,
    API_KEY,
    PAGERDUTY_KEY,
    PAYMENTS_REPORT,
    RESPONDERS,
    Api,
    bearer,
    gateway_settings,
    keyed_id,
    new_key,
    started_once_visible,
)
from tests.support.links import link
from tests.support.pagerduty import trigger_event
from tests.support.routes import post_routes

JSON = {"Content-Type": "application/json"}
TOO_LARGE = {"error": "the body is larger than 512 KiB"}


async def test_a_body_that_is_not_json_is_400(api: Api) -> None:
    response = await api.http.post("/v1/incidents", content=b'{"title": "x",', headers=bearer(API_KEY) | JSON)
    assert (response.status_code, response.json()) == (
        400,
        {"error": "the body is not valid JSON: Expecting property name enclosed in double quotes (at character 14)"},
    )
    not_utf8 = await api.http.post("/v1/incidents", content=b'{"title": "\xff"}', headers=bearer(API_KEY) | JSON)
    assert (not_utf8.status_code, not_utf8.json()) == (
        400,
        {"error": "the body is not valid JSON: it is not UTF-8, or it is nested too deeply"},
    )


async def test_a_body_not_declared_as_json_is_415(api: Api) -> None:
    response = await api.http.post(
        "/v1/incidents", content=json.dumps(PAYMENTS_REPORT).encode(), headers=bearer(API_KEY)
    )
    assert (response.status_code, response.json()) == (
        415,
        {"error": "the body must be JSON, sent with Content-Type: application/json"},
    )


@pytest.mark.parametrize(
    ("body", "details"),
    [
        (None, [{"field": "body", "problem": "Field required"}]),
        (
            [PAYMENTS_REPORT],
            [{"field": "body", "problem": "Input should be a valid dictionary or object to extract fields from"}],
        ),
        (
            PAYMENTS_REPORT | {"title": 42, "labels": {"region": 1}, "occurred_at": "yesterday"},
            [
                {"field": "title", "problem": "Input should be a valid string"},
                {"field": "labels.region", "problem": "Input should be a valid string"},
                {
                    "field": "occurred_at",
                    "problem": "Input should be a valid datetime or date, input is too short",
                },
            ],
        ),
        (
            PAYMENTS_REPORT | {"service": "Shop Payments", "severity": "high"},
            [
                {"field": "service", "problem": "String should match pattern '^[a-z0-9][a-z0-9._-]*$'"},
                {"field": "severity", "problem": "Extra inputs are not permitted"},
            ],
        ),
    ],
)
async def test_wrong_types_and_unknown_fields_are_422_naming_each_field(
    api: Api, body: Any, details: list[dict[str, str]]
) -> None:
    response = await api.http.post("/v1/incidents", json=body, headers=bearer(API_KEY))
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    assert (response.status_code, response.json()) == (
        422,
        {"error": f"the request is invalid: {details[0]['field']}: {details[0]['problem']}{more}", "details": details},
    )


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        yield b" " * piece
        sent += piece


@pytest.mark.parametrize(("path", "headers"), post_routes())
async def test_bodies_over_512_kib_are_413_declared_or_streamed(api: Api, path: str, headers: dict[str, str]) -> None:
    big = b" " * (600 * 1024)
    declared = await api.http.post(path, content=big, headers=headers | JSON)
    assert (declared.status_code, declared.json()) == (413, TOO_LARGE)
    streamed = await api.http.post(path, content=chunks(MAX_BODY_BYTES + 1), headers=headers | JSON)
    assert "content-length" not in streamed.request.headers
    assert (streamed.status_code, streamed.json()) == (413, TOO_LARGE)
    at_the_limit = await api.http.post(path, content=chunks(MAX_BODY_BYTES), headers=headers | JSON)
    assert at_the_limit.status_code in (400, 404, 422)  # whitespace only: not an event, not a report
    assert at_the_limit.json() != TOO_LARGE


async def test_nothing_is_started_by_bad_input_or_bad_credentials(api: Api) -> None:
    for path, headers in post_routes():
        for body in (b"{", b"[]", b"{}", json.dumps(PAYMENTS_REPORT | {"impact": "all"}).encode()):
            response = await api.http.post(path, content=body, headers=headers | JSON)
            assert 400 <= response.status_code < 500, (path, body, response.text)
        for wrong in ({}, bearer("nope")):
            if path.startswith("/v1/incidents"):
                response = await api.http.post(path, json=PAYMENTS_REPORT, headers=wrong)
                assert response.status_code in (401, 403)
    # A valid report last: once visibility shows it, it is the only incident on the task queue.
    assert (await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))).status_code == 202
    assert await started_once_visible(api.client, api.task_queue, at_least=1) == 1


async def test_unknown_routes_and_methods_are_4xx_with_a_json_body(api: Api) -> None:
    unknown = await api.http.get("/v1/nothing-here")
    assert (unknown.status_code, unknown.json()) == (404, {"error": NO_SUCH_ROUTE})
    method = await api.http.delete("/v1/incidents", headers=AMARA)
    assert (method.status_code, method.json(), method.headers["Allow"]) == (
        405,
        {"error": "method DELETE is not allowed here; allowed: GET, HEAD, POST"},
        "GET, HEAD, POST",
    )
    enqueue = await api.http.get("/v2/enqueue")
    assert (enqueue.status_code, enqueue.json()) == (405, {"error": "method GET is not allowed here; allowed: POST"})


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def lazy_client_on_a_closed_port() -> Client:
    return await Client.connect(f"127.0.0.1:{closed_port()}", lazy=True, data_converter=pydantic_data_converter)


def connect_fails() -> Client:
    raise TemporalUnavailable("cannot reach Temporal at 127.0.0.1:1: connection refused")


@pytest.mark.parametrize("source", [lazy_client_on_a_closed_port, connect_fails])
async def test_temporal_out_of_reach_is_503_with_retry_after(tmp_path: Path, source: Callable[[], Any]) -> None:
    app = create_app(gateway_settings(tmp_path), source)
    firing = {
        "version": "4", "groupKey": "g", "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "A"}, "fingerprint": "f"}],
    }  # fmt: skip
    event = {
        "routing_key": PAGERDUTY_KEY,
        "event_action": "trigger",
        "payload": {"summary": "s", "source": "x", "severity": "info"},
    }
    requests: list[tuple[str, str, dict[str, str], Any]] = [
        ("POST", "/v1/incidents", bearer(API_KEY), PAYMENTS_REPORT),
        ("POST", "/v1/incidents", bearer(API_KEY), PAYMENTS_REPORT | {"dedup_key": "k"}),
        ("POST", f"/v1/integrations/alertmanager/{ALERTMANAGER_KEY}", {}, firing),
        ("POST", "/v2/enqueue", {}, event),
        ("POST", "/v2/enqueue", {}, {"routing_key": PAGERDUTY_KEY, "event_action": "resolve", "dedup_key": "k"}),
        ("GET", "/v1/incidents", AMARA, None),
        ("GET", "/v1/incidents/INC-ABCDEFGHIJ", AMARA, None),
        ("POST", "/v1/incidents/INC-ABCDEFGHIJ/acknowledge", AMARA, None),
        ("GET", f"/v1/links/{link('INC-ABCDEFGHIJ', LinkAction.ACKNOWLEDGE)}", {}, None),
        ("POST", f"/v1/links/{link('INC-ABCDEFGHIJ', LinkAction.ACKNOWLEDGE)}", {}, None),
    ]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as http:
        for method, path, headers, body in requests:
            response = await http.request(method, path, json=body, headers=headers)
            assert (response.status_code, response.json(), response.headers["Retry-After"]) == (
                503,
                {"error": "Temporal is unavailable; retry"},
                "5",
            ), (method, path)
        # Credentials are still checked first: a wrong key is 403 whether or not Temporal is there.
        refused = await http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer("nope"))
        assert refused.status_code == 403


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("path", "headers"), post_routes())
async def test_json_nested_too_deeply_to_parse_is_400(api: Api, path: str, headers: dict[str, str]) -> None:
    response = await api.http.post(path, content=b"[" * 5000 + b"]" * 5000, headers=headers | JSON)
    expected = {
        "/v1/integrations/pagerduty/enqueue": PAGERDUTY_UNPARSABLE,
        "/v2/enqueue": PAGERDUTY_UNPARSABLE,
    }.get(path, {"error": "the body is not valid JSON: it is not UTF-8, or it is nested too deeply"})
    if path.startswith("/v1/links/"):
        expected = {"error": "the body is not valid JSON: it is nested too deeply"}
    assert (response.status_code, response.json()) == (400, expected)


async def test_deeply_nested_monitoring_payloads_are_kept_out_of_history_or_refused(api: Api) -> None:
    alertmanager = f"/v1/integrations/alertmanager/{ALERTMANAGER_KEY}"
    for depth, status in ((200, 202), (300, 422)):
        body = notification(group_key(), alert("a1")) | {"extra": nested(depth)}
        response = await api.http.post(alertmanager, json=body)
        assert response.status_code == status, response.text
    assert response.json() == {
        "error": "the notification cannot be used: Maximum serialization depth exceeded",
        "details": [{"field": "body", "problem": "Maximum serialization depth exceeded"}],
    }

    event = trigger_event(new_key())
    event["payload"]["custom_details"] = nested(200)
    accepted = await api.http.post("/v2/enqueue", json=event)
    assert (accepted.status_code, accepted.json()["status"]) == (202, "success")
    event["payload"]["custom_details"] = nested(300)
    refused = await api.http.post("/v2/enqueue", json=event)
    assert (refused.status_code, refused.json()["status"]) == (400, "invalid event")
    assert refused.json()["errors"][0].startswith("'payload.custom_details.list[0].list[0]")


async def test_large_payloads_arriving_together_still_fold_into_one_incident(api: Api) -> None:
    dedup = new_key()
    event = trigger_event(dedup)
    event["payload"]["custom_details"] = {"log": "x" * 400_000}  # ten of them would be 4 MB in one update
    responses = await asyncio.gather(*[api.http.post("/v2/enqueue", json=event) for _ in range(10)])
    assert [(response.status_code, response.json()["dedup_key"]) for response in responses] == [(202, dedup)] * 10
    view = await get_status(api.client, keyed_id(f"pagerduty:datadog:{dedup}"))
    assert (view.priority, [entry.kind for entry in view.timeline].count("trigger.received")) == (Priority.P1, 1)


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/integration/alertmanager/{ALERTMANAGER_KEY}",
        f"/v1/integrations/alertmanager/{ALERTMANAGER_KEY}/typo",
        f"/v1/links/{ALERTMANAGER_KEY}/extra",
        f"/{ALERTMANAGER_KEY}",
        f"/v1/nothing?key={ALERTMANAGER_KEY}",
    ],
)
async def test_a_404_never_repeats_the_path_that_may_hold_a_secret(api: Api, path: str) -> None:
    response = await api.http.post(path, json={})
    assert (response.status_code, response.json()) == (404, {"error": NO_SUCH_ROUTE})
    assert ALERTMANAGER_KEY not in response.text
    assert not [value for value in response.headers.values() if ALERTMANAGER_KEY in value]


async def test_a_trailing_slash_is_a_json_404_not_a_redirect(api: Api) -> None:
    response = await api.http.get("/v1/incidents/", headers=bearer(RESPONDERS["amara"]))
    assert response.status_code == 404
    assert response.json() == {"error": NO_SUCH_ROUTE}
