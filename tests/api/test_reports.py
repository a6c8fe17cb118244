"""``POST /v1/incidents``: a native report, answered once a worker has classified it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

import api.routes_incidents
from api.app import create_app
from domain.models import Priority
from runtime.catalog_file import LoadedCatalog
from runtime.incidents import classification, get_status
from tests.api.conftest import (
    API_KEY,
    PAYMENTS_REPORT,
    PUBLIC_URL,
    RESPONDERS,
    Api,
    bearer,
    gateway_settings,
    keyed_id,
    new_key,
    started_once_visible,
    terminate_running,
)
from worker import build_worker

INCIDENT_ID = re.compile(r"INC-[A-Z2-7]{10}")


async def test_a_report_is_answered_with_its_priority_status_and_url(api: Api) -> None:
    response = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))

    assert response.status_code == 202
    body = response.json()
    incident_id = body["incident_id"]
    assert INCIDENT_ID.fullmatch(incident_id)
    assert body == {
        "incident_id": incident_id,
        "priority": "P1",
        "status": "triggered",
        "url": f"{PUBLIC_URL}/v1/incidents/{incident_id}",
    }
    view = await get_status(api.client, incident_id)
    assert (view.title, view.service, view.priority, view.team) == (
        "Payments failing for all users",
        "shop-payments",
        Priority.P1,
        "shop-payments",
    )


async def test_a_responder_may_report_too(api: Api) -> None:
    report = PAYMENTS_REPORT | {"title": "Dashboard stale", "service": "saas-dashboard", "impact": "many_users"}
    response = await api.http.post(
        "/v1/incidents", json=report | {"urgency": "medium"}, headers=bearer(RESPONDERS["bruno"])
    )
    assert response.status_code == 202
    assert (response.json()["priority"], response.json()["status"]) == ("P2", "triggered")


async def test_reports_with_a_dedup_key_fold_into_one_incident_per_caller(api: Api) -> None:
    dedup = new_key()
    report = PAYMENTS_REPORT | {"dedup_key": dedup}
    first, second = await asyncio.gather(
        api.http.post("/v1/incidents", json=report, headers=bearer(API_KEY)),
        api.http.post("/v1/incidents", json=report, headers=bearer(API_KEY)),
    )
    from_responder = await api.http.post("/v1/incidents", json=report, headers=bearer(RESPONDERS["amara"]))

    incident_id = keyed_id(f"api:checkout:{dedup}")
    expected = {
        "incident_id": incident_id,
        "priority": "P1",
        "status": "triggered",
        "url": f"{PUBLIC_URL}/v1/incidents/{incident_id}",
    }
    assert (first.status_code, first.json()) == (202, expected)
    assert (second.status_code, second.json()) == (202, expected)
    other = keyed_id(f"api:amara:{dedup}")
    assert (from_responder.status_code, from_responder.json()["incident_id"]) == (202, other)
    view = await get_status(api.client, incident_id)
    assert [entry.kind for entry in view.timeline if entry.kind.startswith("trigger.")] == ["trigger.received"]


@pytest.mark.parametrize("dedup_key", [None, "dedup-without-worker"])
async def test_without_a_worker_the_report_is_accepted_with_no_priority_and_classified_later(
    dev_env: WorkflowEnvironment,
    catalog: LoadedCatalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dedup_key: str | None,
) -> None:
    monkeypatch.setattr(api.routes_incidents, "CLASSIFY_WAIT_SECONDS", 1.0)
    settings = gateway_settings(tmp_path)  # a fresh task queue that no worker polls yet
    app = create_app(settings, dev_env.client)
    report = PAYMENTS_REPORT | ({"dedup_key": f"{dedup_key}-{settings.task_queue}"} if dedup_key else {})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as http:
        response = await http.post("/v1/incidents", json=report, headers=bearer(API_KEY))
    assert response.status_code == 202
    body = response.json()
    if dedup_key:
        assert body["incident_id"] == keyed_id(f"api:checkout:{report['dedup_key']}")
    assert body == {
        "incident_id": body["incident_id"],
        "priority": None,
        "status": "triggered",
        "url": f"{PUBLIC_URL}/v1/incidents/{body['incident_id']}",
    }
    handle = dev_env.client.get_workflow_handle(body["incident_id"])
    assert (await handle.describe()).task_queue == settings.task_queue

    async with httpx.AsyncClient() as outbound, build_worker(dev_env.client, settings, catalog, outbound):
        classified = await classification(handle)
        assert (classified.incident_id, classified.priority) == (body["incident_id"], Priority.P1)
        await terminate_running(dev_env.client, settings.task_queue)


async def test_the_report_is_validated_before_anything_starts(api: Api) -> None:
    bad = PAYMENTS_REPORT | {"impact": "everyone", "by": "mallory"}
    response = await api.http.post("/v1/incidents", json=bad, headers=bearer(API_KEY))
    assert (response.status_code, response.json()) == (
        422,
        {
            "error": "the request is invalid: impact: Input should be 'all_users', 'many_users', 'some_users' or "
            "'single_user' (and 1 more)",
            "details": [
                {
                    "field": "impact",
                    "problem": "Input should be 'all_users', 'many_users', 'some_users' or 'single_user'",
                },
                {"field": "by", "problem": "Extra inputs are not permitted"},
            ],
        },
    )
    assert await started_once_visible(api.client, api.task_queue, at_least=0) == 0
