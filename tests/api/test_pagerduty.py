"""PagerDuty Events API v2 at ``/v2/enqueue`` and ``/v1/integrations/pagerduty/enqueue``, answered as PagerDuty does."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from adapters.incident_client import get_status
from adapters.keyed_triggers import trigger_incident
from api.routes.integrations import PAGERDUTY_NOTHING_OPEN
from domain.intake.pagerduty import PagerDutyTrigger, pagerduty_trigger
from domain.models import Status
from tests.support.gateway import PAGERDUTY_KEY, Api, exists, keyed_id, new_key
from tests.support.pagerduty import accepted, action_event, trigger_event
from workflows.incident import IncidentWorkflow

ENQUEUE_PATHS = ["/v2/enqueue", "/v1/integrations/pagerduty/enqueue"]
INVALID = {"status": "invalid event", "message": "Event object is invalid"}


@pytest.mark.parametrize("path", ENQUEUE_PATHS)
async def test_a_trigger_opens_an_incident_for_its_dedup_key(api: Api, path: str) -> None:
    dedup = new_key()
    response = await api.http.post(path, json=trigger_event(dedup))

    assert (response.status_code, response.json()) == (202, accepted(dedup))
    view = await get_status(api.client, keyed_id(f"pagerduty:datadog:{dedup}"))
    assert (view.title, view.service, view.status, view.team) == (
        "Checkout error rate above 20%",
        "shop-payments",
        Status.TRIGGERED,
        "shop-payments",
    )
    assert [(entry.kind, entry.message) for entry in view.timeline if entry.kind == "trigger.received"] == [
        ("trigger.received", "pagerduty: Checkout error rate above 20%")
    ]


async def test_a_trigger_without_a_dedup_key_gets_one(api: Api) -> None:
    response = await api.http.post("/v2/enqueue", json=trigger_event(None))

    assert response.status_code == 202
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body["dedup_key"])
    assert body == accepted(body["dedup_key"])
    assert await exists(api.client, keyed_id(f"pagerduty:datadog:{body['dedup_key']}"))


async def test_fifty_identical_triggers_at_once_make_one_incident(api: Api) -> None:
    dedup = new_key()
    responses = await asyncio.gather(*[api.http.post("/v2/enqueue", json=trigger_event(dedup)) for _ in range(50)])

    assert [(response.status_code, response.json()) for response in responses] == [(202, accepted(dedup))] * 50
    full_key = f"pagerduty:datadog:{dedup}"
    assert (await exists(api.client, keyed_id(full_key, 1)), await exists(api.client, keyed_id(full_key, 2))) == (
        True,
        False,
    )
    # One more for the same key tells how many the incident has taken: the fifty, then this one.
    report, trigger = pagerduty_trigger(
        PagerDutyTrigger.model_validate(trigger_event(dedup)), "datadog", None, "unused"
    )
    result = await trigger_incident(api.client, report, trigger, task_queue=api.task_queue, summary="s")
    assert (result.incident_id, result.triggers, result.opened) == (keyed_id(full_key), 51, False)
    view = await get_status(api.client, keyed_id(full_key))
    assert [entry.kind for entry in view.timeline].count("escalation.level_paged") == 1


async def test_acknowledge_then_resolve_act_as_the_integration(api: Api) -> None:
    dedup = new_key()
    assert (await api.http.post("/v2/enqueue", json=trigger_event(dedup))).status_code == 202
    incident_id = keyed_id(f"pagerduty:datadog:{dedup}")

    acknowledged = await api.http.post("/v2/enqueue", json=action_event("acknowledge", dedup))
    assert (acknowledged.status_code, acknowledged.json()) == (202, accepted(dedup))
    view = await get_status(api.client, incident_id)
    assert (view.status, view.assignee) == (Status.ACKNOWLEDGED, "monitoring:datadog")

    again = await api.http.post("/v2/enqueue", json=action_event("acknowledge", dedup))  # refused: accepted, ignored
    assert (again.status_code, again.json()) == (
        202,
        accepted(dedup)
        | {"message": "Event processed; ignored: cannot acknowledge: the incident is already acknowledged"},
    )

    resolved = await api.http.post("/v1/integrations/pagerduty/enqueue", json=action_event("resolve", dedup))
    assert (resolved.status_code, resolved.json()) == (202, accepted(dedup))
    record = await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert (record.acknowledged_by, record.resolved_by, record.resolution_summary, record.root_cause) == (
        "monitoring:datadog",
        "monitoring:datadog",
        "resolved by datadog",
        "not recorded: resolved by monitoring",
    )

    late = await api.http.post("/v2/enqueue", json=action_event("resolve", dedup))  # the incident is closed
    assert (late.status_code, late.json()) == (202, accepted(dedup) | {"message": PAGERDUTY_NOTHING_OPEN})


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
async def test_an_action_for_an_unknown_key_is_accepted_and_ignored(api: Api, action: str) -> None:
    dedup = new_key()
    response = await api.http.post("/v2/enqueue", json=action_event(action, dedup))
    assert (response.status_code, response.json()) == (202, accepted(dedup) | {"message": PAGERDUTY_NOTHING_OPEN})
    assert await exists(api.client, keyed_id(f"pagerduty:datadog:{dedup}")) is False


@pytest.mark.parametrize(
    ("event", "errors"),
    [
        (
            {"routing_key": PAGERDUTY_KEY, "event_action": "trigger", "payload": {"source": "x", "severity": "bad"}},
            [
                "'payload.summary' is missing or blank",
                "'payload.severity' is invalid (must be one of the following: "
                "'critical', 'warning', 'error' or 'info')",
            ],
        ),
        (
            {"routing_key": PAGERDUTY_KEY, "event_action": "explode", "dedup_key": "k"},
            ["'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"],
        ),
        ({"routing_key": PAGERDUTY_KEY, "event_action": "acknowledge"}, ["'dedup_key' is missing or blank"]),
        ({}, ["'routing_key' is missing or blank", "'event_action' is missing or blank"]),
        ([{"routing_key": PAGERDUTY_KEY}], ["the event must be a JSON object"]),
        (
            {
                "event_action": "trigger",
                "dedup_key": "k",
                "payload": {"summary": "s", "source": "x", "severity": "info"},
            },
            ["'routing_key' is missing or blank"],
        ),
    ],
)
async def test_an_invalid_event_is_400_with_pagerdutys_errors(api: Api, event: Any, errors: list[str]) -> None:
    response = await api.http.post("/v2/enqueue", json=event)
    assert (response.status_code, response.json()) == (400, INVALID | {"errors": errors})


async def test_a_body_that_is_not_json_is_400_as_pagerduty_answers_it(api: Api) -> None:
    response = await api.http.post(
        "/v2/enqueue", content=b'{"routing_key": ', headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "status": "Unrecognized object",
            "message": "Event object format is unrecognized",
            "errors": ["JSON parse error"],
        },
    )


@pytest.mark.parametrize(
    "routing_key", ["no-such-key", "api-key-" + "a" * 24, "am-key-" + "b" * 24, PAGERDUTY_KEY + "x"]
)
@pytest.mark.parametrize("path", ENQUEUE_PATHS)
async def test_a_routing_key_of_no_pagerduty_integration_is_400_and_starts_nothing(
    api: Api, path: str, routing_key: str
) -> None:
    dedup = new_key()
    for event in (
        trigger_event(dedup, routing_key=routing_key),
        action_event("resolve", dedup) | {"routing_key": routing_key},
    ):
        response = await api.http.post(path, json=event)
        assert (response.status_code, response.json()) == (400, INVALID | {"errors": ["Invalid routing key"]})
    for integration in ("datadog", "checkout", "prometheus"):
        assert await exists(api.client, keyed_id(f"pagerduty:{integration}:{dedup}")) is False
