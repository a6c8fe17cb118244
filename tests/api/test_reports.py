"""``POST /v1/incidents``: a native report, answered once a worker has classified it."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

import api.routes.incidents
from adapters.catalog_file import LoadedCatalog
from adapters.incident_client import classification, get_status
from api.app import create_app
from domain.models import Priority
from domain.views.record import render_markdown
from tests.support.gateway import (
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
from workflows.incident import IncidentWorkflow

INCIDENT_ID = re.compile(r"INC-[A-Z2-7]{10}")
AMARA = bearer(RESPONDERS["amara"])


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


async def test_a_report_for_a_key_whose_incident_closed_opens_the_next_and_logs_no_error(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    dedup = new_key()
    report = PAYMENTS_REPORT | {"dedup_key": dedup}
    first = await api.http.post("/v1/incidents", json=report, headers=bearer(API_KEY))
    resolve = {"summary": "card processor back", "root_cause": "expired certificate"}
    incident_id = first.json()["incident_id"]
    assert (await api.http.post(f"/v1/incidents/{incident_id}/resolve", json=resolve, headers=AMARA)).status_code == 200
    await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()

    with caplog.at_level(logging.WARNING):
        again = await api.http.post("/v1/incidents", json=report, headers=bearer(API_KEY))
        gc.collect()  # a future whose exception nobody read is reported when it is collected
        await asyncio.sleep(0)
    assert (again.status_code, again.json()["incident_id"]) == (202, keyed_id(f"api:checkout:{dedup}", 2))
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("dedup_key", [None, "dedup-without-worker"])
async def test_without_a_worker_the_report_is_accepted_with_no_priority_and_classified_later(
    dev_env: WorkflowEnvironment,
    catalog: LoadedCatalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dedup_key: str | None,
) -> None:
    monkeypatch.setattr(api.routes.incidents, "CLASSIFY_WAIT_SECONDS", 1.0)
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


@pytest.mark.parametrize(
    ("token", "reporter"), [(API_KEY, "api:checkout"), (RESPONDERS["amara"], "amara"), (RESPONDERS["bruno"], "bruno")]
)
async def test_the_reporter_is_whoever_the_credentials_belong_to(api: Api, token: str, reporter: str) -> None:
    body = PAYMENTS_REPORT | {"on_behalf_of": "  support desk, ticket 4711  "}
    response = await api.http.post("/v1/incidents", json=body, headers=bearer(token))
    assert response.status_code == 202
    incident_id = response.json()["incident_id"]
    view = await get_status(api.client, incident_id)
    opened = view.timeline[0]
    assert (view.reporter, view.on_behalf_of, opened.kind, opened.actor, opened.message) == (
        reporter,
        "support desk, ticket 4711",
        "incident.opened",
        reporter,
        f"Reported by {reporter} on behalf of support desk, ticket 4711 via monitoring: Payments failing for all users",
    )
    resolve = {"summary": "card processor back", "root_cause": "expired certificate"}
    assert (await api.http.post(f"/v1/incidents/{incident_id}/resolve", json=resolve, headers=AMARA)).status_code == 200
    record = await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert (record.reporter, record.on_behalf_of) == (reporter, "support desk, ticket 4711")
    assert f"reported by {reporter} on behalf of support desk, ticket 4711\n" in render_markdown(record)


@pytest.mark.parametrize(
    ("extra", "field", "problem"),
    [
        ({"reporter": "monitoring:anything"}, "reporter", "Extra inputs are not permitted"),
        ({"reporter": "bruno"}, "reporter", "Extra inputs are not permitted"),
        ({"on_behalf_of": "x" * 201}, "on_behalf_of", "String should have at most 200 characters"),
        ({"on_behalf_of": " "}, "on_behalf_of", "String should have at least 1 character"),
        (
            {"on_behalf_of": "a\x1bb"},
            "on_behalf_of",
            "must not contain control characters or line breaks (found U+001B)",
        ),
        ({"on_behalf_of": 7}, "on_behalf_of", "Input should be a valid string"),
    ],
)
async def test_a_body_never_chooses_the_reporter(api: Api, extra: dict[str, object], field: str, problem: str) -> None:
    response = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT | extra, headers=AMARA)
    assert (response.status_code, response.json()) == (
        422,
        {"error": f"the request is invalid: {field}: {problem}", "details": [{"field": field, "problem": problem}]},
    )
    assert await started_once_visible(api.client, api.task_queue, at_least=0) == 0


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
