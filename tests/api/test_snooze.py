"""``POST /v1/incidents/{id}/snooze``: the token's user pauses paging; bad durations are 422, refusals 409.

The ``resolved`` message waits here until the test lets it go (every other page is delivered at once), so a
resolved incident is still running, and still resolved, when it is asked to snooze: the answer is its own reason.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog
from api.app import create_app
from domain.messages.steps import DeliveryResult, NotificationRequest
from tests.support.gateway import API_KEY, PAYMENTS_REPORT, RESPONDERS, Api, bearer, gateway_settings
from worker import build_worker
from workflows.incident import IncidentWorkflow

AMARA, BRUNO = bearer(RESPONDERS["amara"]), bearer(RESPONDERS["bruno"])


@dataclass
class HeldApi:
    api: Api
    resolved_sent: asyncio.Event
    """Set to let the ``resolved`` message go, so resolved incidents close."""


@pytest.fixture
async def held(dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path) -> AsyncIterator[HeldApi]:
    settings = gateway_settings(tmp_path)
    resolved_sent = asyncio.Event()

    @activity.defn(name="send_notification")
    async def send_notification(request: NotificationRequest) -> DeliveryResult:
        if request.page.kind == "resolved":
            await resolved_sent.wait()
        return DeliveryResult(channel=request.channel, detail="taken by the test")

    app = create_app(settings, dev_env.client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient() as outbound:
        # The worker's own activities, built on a queue nobody polls, with delivery replaced.
        template = settings.model_copy(update={"task_queue": f"{settings.task_queue}-template"})
        config = build_worker(dev_env.client, template, catalog, outbound).config()
        activities = [a for a in config["activities"] if getattr(a, "__name__", "") != "send_notification"]
        config["activities"] = [*activities, send_notification]
        config["task_queue"] = settings.task_queue
        async with (
            Worker(**config),
            httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http,
        ):
            yield HeldApi(Api(app, http, dev_env.client, settings), resolved_sent)
            await terminate_open(dev_env.client, settings.task_queue)
            resolved_sent.set()


async def terminate_open(client: Client, task_queue: str) -> None:
    """Terminate what is still running; visibility may still list an incident that finished a moment ago."""
    async for execution in client.list_workflows(f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"):
        with contextlib.suppress(RPCError):
            await client.get_workflow_handle(execution.id).terminate("test finished")


async def open_incident(api: Api) -> str:
    response = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
    assert (response.status_code, response.json()["priority"]) == (202, "P1")
    incident_id: str = response.json()["incident_id"]
    return incident_id


def parsed(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def result(incident_id: str, status: str, assignee: str | None) -> dict[str, Any]:
    return {"incident_id": incident_id, "status": status, "priority": "P1", "assignee": assignee,
            "escalation_level": 1}  # fmt: skip


async def test_snoozing_acknowledges_and_shows_until_when(held: HeldApi) -> None:
    api = held.api
    incident_id = await open_incident(api)
    url = f"/v1/incidents/{incident_id}"
    snoozed = await api.http.post(f"{url}/snooze", json={"duration": "30m", "reason": "deploying a fix"}, headers=AMARA)
    assert (snoozed.status_code, snoozed.json()) == (200, result(incident_id, "acknowledged", "amara"))

    view = (await api.http.get(url, headers=BRUNO)).json()
    entry = next(e for e in view["timeline"] if e["kind"] == "incident.snoozed")
    assert (entry["actor"], entry["data"]["until"]) == ("amara", view["snoozed_until"].replace("Z", "+00:00"))
    assert entry["message"].startswith("snoozed by amara for 30m, until ")
    assert entry["message"].endswith(": deploying a fix")
    assert parsed(view["snoozed_until"]) - parsed(entry["at"]) == timedelta(minutes=30)

    acknowledged = await api.http.post(f"{url}/acknowledge", headers=BRUNO)
    assert (acknowledged.status_code, acknowledged.json()) == (200, result(incident_id, "acknowledged", "bruno"))
    assert (await api.http.get(url, headers=BRUNO)).json()["snoozed_until"] is None


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({"duration": "30s"}, "duration", "Value error, a snooze lasts at least 1m"),
        ({"duration": "8d"}, "duration", "Value error, a snooze lasts at most 7d"),
        ({"duration": "soon"}, "duration", "Value error, 'soon' is not a duration; write it like 90s, 5m, 1h30m or 3d"),
        ({}, "duration", "Field required"),
        ({"duration": "30m", "by": "bruno"}, "by", "Extra inputs are not permitted"),
    ],
)
async def test_a_bad_duration_is_422_naming_the_field(
    held: HeldApi, body: dict[str, str], field: str, problem: str
) -> None:
    api = held.api
    incident_id = await open_incident(api)
    response = await api.http.post(f"/v1/incidents/{incident_id}/snooze", json=body, headers=AMARA)
    assert (response.status_code, response.json()) == (
        422,
        {"error": f"the request is invalid: {field}: {problem}", "details": [{"field": field, "problem": problem}]},
    )
    assert (await api.http.get(f"/v1/incidents/{incident_id}", headers=AMARA)).json()["status"] == "triggered"


async def test_refused_snoozes_are_409_with_the_incidents_reason(held: HeldApi) -> None:
    api = held.api
    incident_id = await open_incident(api)
    url = f"/v1/incidents/{incident_id}"
    too_long = await api.http.post(f"{url}/snooze", json={"duration": "1d1m"}, headers=AMARA)
    assert (too_long.status_code, too_long.json()) == (
        409,
        {"error": "cannot snooze for 1d1m: policy 'payments-critical' allows at most 1d"},
    )
    resolved = await api.http.post(f"{url}/resolve", json={"summary": "rolled back", "root_cause": "bad deploy"},
                                   headers=AMARA)  # fmt: skip
    assert resolved.status_code == 200
    late = await api.http.post(f"{url}/snooze", json={"duration": "30m"}, headers=AMARA)
    assert (late.status_code, late.json()) == (409, {"error": "cannot snooze: the incident is already resolved"})
    held.resolved_sent.set()
    record = await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert record.snoozes == []
