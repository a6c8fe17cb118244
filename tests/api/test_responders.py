"""Responders over HTTP: list, look up and act on incidents with their token; the token says who acts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.incident_client import get_status
from domain.models import Status
from domain.views.record import IncidentStatusView
from tests.support.gateway import API_KEY, PAGERDUTY_KEY, PAYMENTS_REPORT, PUBLIC_URL, RESPONDERS, Api, bearer
from workflows.incident import IncidentWorkflow

AMARA, BRUNO = (bearer(RESPONDERS[user]) for user in ("amara", "bruno"))
VISIBILITY_TIMEOUT = 10.0


async def open_incident(api: Api) -> str:
    response = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
    assert (response.status_code, response.json()["priority"]) == (202, "P1")
    incident_id: str = response.json()["incident_id"]
    return incident_id


def result(incident_id: str, status: str, priority: str, assignee: str | None, level: int) -> dict[str, Any]:
    return {"incident_id": incident_id, "status": status, "priority": priority, "assignee": assignee,
            "escalation_level": level}  # fmt: skip


async def test_responders_act_and_refused_actions_answer_409_with_the_reason(api: Api) -> None:
    incident_id = await open_incident(api)
    url = f"/v1/incidents/{incident_id}"

    acknowledged = await api.http.post(f"{url}/acknowledge", headers=AMARA)
    assert (acknowledged.status_code, acknowledged.json()) == (
        200,
        result(incident_id, "acknowledged", "P1", "amara", 1),
    )
    again = await api.http.post(f"{url}/acknowledge", json={}, headers=BRUNO)
    assert (again.status_code, again.json()) == (
        409,
        {"error": "cannot acknowledge: the incident is already acknowledged"},
    )

    noted = await api.http.post(f"{url}/notes", json={"text": "card processor returns 502"}, headers=BRUNO)
    assert (noted.status_code, noted.json()) == (200, result(incident_id, "acknowledged", "P1", "amara", 1))
    same = await api.http.post(f"{url}/priority", json={"priority": "P1", "reason": "x"}, headers=AMARA)
    assert (same.status_code, same.json()) == (409, {"error": "cannot set the priority: it is already P1"})
    lowered = await api.http.post(f"{url}/priority", json={"priority": "P2", "reason": "EU only"}, headers=AMARA)
    assert (lowered.status_code, lowered.json()) == (200, result(incident_id, "acknowledged", "P2", "amara", 1))
    escalated = await api.http.post(f"{url}/escalate", json={"reason": "need the payments team"}, headers=AMARA)
    assert (escalated.status_code, escalated.json()) == (200, result(incident_id, "triggered", "P2", None, 2))
    reassigned = await api.http.post(f"{url}/reassign", json={"to": "nobody"}, headers=AMARA)
    assert (reassigned.status_code, reassigned.json()) == (
        409,
        {"error": "cannot reassign to unknown responder 'nobody'"},
    )

    view = await api.http.get(url, headers=BRUNO)
    assert (view.status_code, view.json()) == (200, (await get_status(api.client, incident_id)).model_dump(mode="json"))
    assert [(e["kind"], e["actor"]) for e in view.json()["timeline"] if not e["kind"].startswith("notification.")] == [
        ("incident.opened", "api:checkout"),
        ("incident.classified", None),
        ("incident.routed", None),
        ("escalation.level_paged", None),
        ("incident.acknowledged", "amara"),
        ("note.added", "bruno"),
        ("priority.changed", "amara"),
        ("incident.escalated", "amara"),
        ("escalation.level_paged", "amara"),
    ]

    resolved = await api.http.post(
        f"{url}/resolve", json={"summary": "failed over", "root_cause": "expired certificate"}, headers=BRUNO
    )
    assert (resolved.status_code, resolved.json()) == (200, result(incident_id, "resolved", "P2", None, 2))
    record = await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert (record.resolved_by, record.resolution_summary, record.root_cause) == (
        "bruno",
        "failed over",
        "expired certificate",
    )
    closed = await api.http.post(f"{url}/acknowledge", headers=AMARA)
    assert (closed.status_code, closed.json()) == (409, {"error": f"incident {incident_id} is closed"})


async def test_the_body_never_names_the_actor(api: Api) -> None:
    incident_id = await open_incident(api)
    response = await api.http.post(f"/v1/incidents/{incident_id}/acknowledge", json={"by": "bruno"}, headers=AMARA)
    assert (response.status_code, response.json()) == (
        422,
        {
            "error": "the request is invalid: by: Extra inputs are not permitted",
            "details": [{"field": "by", "problem": "Extra inputs are not permitted"}],
        },
    )
    note = await api.http.post(f"/v1/incidents/{incident_id}/notes", json={"text": "x", "by": "bruno"}, headers=AMARA)
    assert (note.status_code, note.json()["details"]) == (
        422,
        [{"field": "by", "problem": "Extra inputs are not permitted"}],
    )
    assert (await get_status(api.client, incident_id)).status is Status.TRIGGERED


@pytest.mark.parametrize("incident_id", ["INC-NOPE", "not-an-incident", "INC-" + "A" * 200])
async def test_unknown_incidents_are_404(api: Api, incident_id: str) -> None:
    expected = (404, {"error": f"no incident {incident_id!r}"})
    status = await api.http.get(f"/v1/incidents/{incident_id}", headers=AMARA)
    assert (status.status_code, status.json()) == expected
    acknowledged = await api.http.post(f"/v1/incidents/{incident_id}/acknowledge", headers=AMARA)
    assert (acknowledged.status_code, acknowledged.json()) == expected
    resolved = await api.http.post(
        f"/v1/incidents/{incident_id}/resolve", json={"summary": "s", "root_cause": "r"}, headers=AMARA
    )
    assert (resolved.status_code, resolved.json()) == expected


async def test_list_filters_on_the_search_attributes(api: Api) -> None:
    incident_id = await open_incident(api)
    assert (await api.http.post(f"/v1/incidents/{incident_id}/acknowledge", headers=AMARA)).status_code == 200

    query = {"status": "acknowledged", "priority": "P1", "service": "shop-payments", "team": "shop-payments"}
    deadline = asyncio.get_running_loop().time() + VISIBILITY_TIMEOUT
    while True:  # visibility is eventually consistent
        response = await api.http.get("/v1/incidents", params=query | {"limit": "1000"}, headers=BRUNO)
        assert response.status_code == 200
        found = [item for item in response.json()["incidents"] if item["incident_id"] == incident_id]
        if found or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    assert [{key: value for key, value in item.items() if key != "started_at"} for item in found] == [
        {
            "incident_id": incident_id,
            "status": "acknowledged",
            "priority": "P1",
            "service": "shop-payments",
            "team": "shop-payments",
            "sla_breached": False,
            "url": f"{PUBLIC_URL}/v1/incidents/{incident_id}",
        }
    ]
    triggered = await api.http.get("/v1/incidents", params={"status": "triggered", "limit": "1000"}, headers=BRUNO)
    assert incident_id not in [item["incident_id"] for item in triggered.json()["incidents"]]


@pytest.mark.parametrize(
    ("params", "field", "problem"),
    [
        ({"status": "open"}, "status", "Input should be 'triggered', 'acknowledged', 'resolved' or 'closed'"),
        ({"priority": "P9"}, "priority", "Input should be 'P1', 'P2', 'P3' or 'P4'"),
        ({"service": "x' OR 'a'='a"}, "service", "String should match pattern '^[a-z0-9][a-z0-9._-]*$'"),
        ({"limit": "0"}, "limit", "Input should be greater than or equal to 1"),
        ({"limit": "many"}, "limit", "Input should be a valid integer, unable to parse string as an integer"),
    ],
)
async def test_list_refuses_bad_filters(api: Api, params: dict[str, str], field: str, problem: str) -> None:
    response = await api.http.get("/v1/incidents", params=params, headers=AMARA)
    assert (response.status_code, response.json()) == (
        422,
        {"error": f"the request is invalid: {field}: {problem}", "details": [{"field": field, "problem": problem}]},
    )


ROUTES = [
    ("GET", "/v1/incidents", None),
    ("GET", "/v1/incidents/{id}", None),
    ("POST", "/v1/incidents/{id}/acknowledge", None),
    ("POST", "/v1/incidents/{id}/resolve", {"summary": "s", "root_cause": "r"}),
    ("POST", "/v1/incidents/{id}/notes", {"text": "t"}),
    ("POST", "/v1/incidents/{id}/escalate", {"reason": "r"}),
    ("POST", "/v1/incidents/{id}/reassign", {"to": "bruno"}),
    ("POST", "/v1/incidents/{id}/priority", {"priority": "P3", "reason": "r"}),
]


async def test_responder_routes_refuse_missing_and_wrong_tokens_and_change_nothing(api: Api) -> None:
    incident_id = await open_incident(api)
    before = await get_status(api.client, incident_id)
    missing = {"error": "missing credentials: send Authorization: Bearer <token>"}
    wrong = {"error": "these credentials are not allowed here"}
    for method, path, body in ROUTES:
        url = path.format(id=incident_id)
        for headers, status, expected in [
            ({}, 401, missing),
            ({"Authorization": "Token " + RESPONDERS["amara"]}, 401, missing),
            (bearer("nope"), 403, wrong),
            (bearer(RESPONDERS["amara"][:-1]), 403, wrong),
            (bearer(API_KEY), 403, wrong),
            (bearer(PAGERDUTY_KEY), 403, wrong),
        ]:
            response = await api.http.request(method, url, json=body, headers=headers)
            assert (response.status_code, response.json()) == (status, expected), (method, url, headers)
            if status == 401:
                assert response.headers["WWW-Authenticate"] == 'Bearer realm="incidents"'
    after = await get_status(api.client, incident_id)
    assert changes(after) == changes(before)


def changes(view: IncidentStatusView) -> tuple[Any, ...]:
    """What a responder's action would change (deliveries of the first page may still land meanwhile)."""
    timeline = [(e.kind, e.actor, e.message) for e in view.timeline if not e.kind.startswith("notification.")]
    return view.status, view.priority, view.assignee, view.escalation, view.escalation_targets, timeline
