"""Alertmanager webhooks at ``/v1/integrations/alertmanager``: one incident per alert group, resolved with it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from adapters.incident_client import get_status
from api.app import create_app
from domain.models import Status
from tests.support.alertmanager import IGNORED, alert, answer, group_key, notification
from tests.support.gateway import (
    ALERTMANAGER_KEY,
    API_KEY,
    PAGERDUTY_KEY,
    RESPONDERS,
    Api,
    bearer,
    exists,
    keyed_id,
)
from workflows.incident import IncidentWorkflow


async def test_a_group_opens_one_incident_that_resolves_when_every_alert_resolves(api: Api) -> None:
    key = group_key()
    incident_id = keyed_id(f"alertmanager:prometheus:{key}")
    by_header = "/v1/integrations/alertmanager"
    in_url = f"/v1/integrations/alertmanager/{ALERTMANAGER_KEY}"

    firing = await api.http.post(
        by_header, json=notification(key, alert("a1"), alert("a2")), headers=bearer(ALERTMANAGER_KEY)
    )
    assert (firing.status_code, firing.json()) == (202, answer(incident_id, "triggered", 1, True))
    view = await get_status(api.client, incident_id)
    assert (view.title, view.service, view.team) == ("Checkout error rate above 20%", "shop-payments", "shop-payments")

    repeated = await api.http.post(in_url, json=notification(key, alert("a1"), alert("a2")))
    assert (repeated.status_code, repeated.json()) == (200, answer(incident_id, "triggered", 2, False))
    half = await api.http.post(in_url, json=notification(key, alert("a1", "resolved"), alert("a2")))
    assert (half.status_code, half.json()) == (200, answer(incident_id, "triggered", 3, False))
    done = await api.http.post(
        f"{by_header}?key={ALERTMANAGER_KEY}", json=notification(key, alert("a1", "resolved"), alert("a2", "resolved"))
    )
    assert (done.status_code, done.json()) == (200, answer(incident_id, "resolved", 4, False))

    record = await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert (record.resolved_by, record.resolution_summary, record.root_cause) == (
        "monitoring:prometheus",
        "every alert of the group resolved (2 alerts)",
        "not recorded: resolved by monitoring",
    )
    assert [(e.kind, e.data.get("fingerprint")) for e in record.timeline if e.kind.startswith("alert.")] == [
        ("alert.firing", "a1"),
        ("alert.firing", "a2"),
        ("alert.resolved", "a1"),
        ("alert.resolved", "a2"),
    ]

    # Alertmanager repeats resolved notifications: with the incident closed they are ignored, nothing reopens.
    again = await api.http.post(in_url, json=notification(key, alert("a1", "resolved"), alert("a2", "resolved")))
    assert (again.status_code, again.json()) == (200, IGNORED)
    assert await exists(api.client, keyed_id(f"alertmanager:prometheus:{key}", 2)) is False


async def test_resolved_alerts_of_a_group_without_an_incident_are_ignored(api: Api) -> None:
    key = group_key()
    response = await api.http.post(
        "/v1/integrations/alertmanager",
        json=notification(key, alert("a1", "resolved")),
        headers=bearer(ALERTMANAGER_KEY),
    )
    assert (response.status_code, response.json()) == (200, IGNORED)
    assert await exists(api.client, keyed_id(f"alertmanager:prometheus:{key}")) is False


async def test_without_auto_resolve_a_person_resolves(api: Api, tmp_path: Path) -> None:
    settings = api.settings.model_copy(update={"auto_resolve_alerts": False})
    app = create_app(settings, api.client)
    key = group_key()
    incident_id = keyed_id(f"alertmanager:prometheus:{key}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as http:
        url = f"/v1/integrations/alertmanager/{ALERTMANAGER_KEY}"
        assert (await http.post(url, json=notification(key, alert("a1")))).status_code == 202
        done = await http.post(url, json=notification(key, alert("a1", "resolved")))
    assert (done.status_code, done.json()) == (200, answer(incident_id, "triggered", 2, False))


async def test_fifty_identical_notifications_at_once_make_one_incident(api: Api) -> None:
    key = group_key()
    incident_id = keyed_id(f"alertmanager:prometheus:{key}")
    body = notification(key, alert("a1"))
    url = f"/v1/integrations/alertmanager/{ALERTMANAGER_KEY}"
    responses = await asyncio.gather(*[api.http.post(url, json=body) for _ in range(50)])

    answers = [response.json() for response in responses]
    assert {item["incident_id"] for item in answers} == {incident_id}
    assert sorted(item["triggers"] for item in answers) == list(range(1, 51))
    assert sorted((response.status_code, response.json()["opened"]) for response in responses) == [
        (200, False)
    ] * 49 + [(202, True)]
    assert await exists(api.client, keyed_id(f"alertmanager:prometheus:{key}", 2)) is False
    view = await get_status(api.client, incident_id)
    assert (view.status, [e.kind for e in view.timeline].count("trigger.received")) == (Status.TRIGGERED, 1)


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/v1/integrations/alertmanager", {}, 401),
        ("/v1/integrations/alertmanager", {"Authorization": "Basic YWxlcnRtYW5hZ2VyOnNlY3JldA=="}, 401),
        ("/v1/integrations/alertmanager", {"Authorization": "Bearer "}, 401),
        ("/v1/integrations/alertmanager", bearer("wrong"), 403),
        ("/v1/integrations/alertmanager", bearer(API_KEY), 403),
        ("/v1/integrations/alertmanager", bearer(PAGERDUTY_KEY), 403),
        ("/v1/integrations/alertmanager", bearer(RESPONDERS["amara"]), 403),
        ("/v1/integrations/alertmanager", bearer(ALERTMANAGER_KEY + "x"), 403),
        ("/v1/integrations/alertmanager/wrong", {}, 403),
        ("/v1/integrations/alertmanager/wrong", bearer(ALERTMANAGER_KEY), 403),
        ("/v1/integrations/alertmanager?key=wrong", {}, 403),
    ],
)
async def test_missing_or_wrong_keys_are_refused_and_start_nothing(
    api: Api, path: str, headers: dict[str, str], status: int
) -> None:
    key = group_key()
    response = await api.http.post(path, json=notification(key, alert("a1")), headers=headers)
    if status == 401:
        assert (response.status_code, response.json(), response.headers["WWW-Authenticate"]) == (
            401,
            {"error": "missing credentials: send Authorization: Bearer <token>"},
            'Bearer realm="incidents"',
        )
    else:
        assert (response.status_code, response.json()) == (403, {"error": "these credentials are not allowed here"})
    assert await exists(api.client, keyed_id(f"alertmanager:prometheus:{key}")) is False


async def test_an_invalid_notification_names_the_field(api: Api) -> None:
    body = notification(group_key(), alert("a1")) | {"version": "3", "alerts": []}
    response = await api.http.post(f"/v1/integrations/alertmanager/{ALERTMANAGER_KEY}", json=body)
    assert (response.status_code, response.json()) == (
        422,
        {
            "error": "the request is invalid: version: Input should be '4' (and 1 more)",
            "details": [
                {"field": "version", "problem": "Input should be '4'"},
                {"field": "alerts", "problem": "List should have at least 1 item after validation, not 0"},
            ],
        },
    )
