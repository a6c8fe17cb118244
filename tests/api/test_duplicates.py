"""Duplicates never open incidents or page: a notification that only resolves (an Alertmanager group whose alerts are
all resolved, a PagerDuty acknowledge or resolve) reaches the incident open for its key, or nothing.

(A key never seen: ``test_pagerduty``'s ``test_an_action_for_an_unknown_key_is_accepted_and_ignored``.)
"Resolved, not closed" is held here with a webhook receiver that keeps the resolved page waiting: the incident stays
running, resolved, until its deliveries end.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.catalog_file import LoadedCatalog
from adapters.incident_client import get_status
from api.app import create_app
from api.routes.integrations import PAGERDUTY_NOTHING_OPEN
from domain.models import Status
from tests.support.alertmanager import IGNORED, alert, answer, group_key, notification
from tests.support.gateway import ALERTMANAGER_KEY, Api, exists, gateway_settings, keyed_id, terminate_running
from tests.support.pagerduty import accepted, action_event, trigger_event
from tests.support.receiver import Receiver, Reply
from worker import build_worker
from workflows.incident import IncidentWorkflow

AM_URL = f"/v1/integrations/alertmanager/{ALERTMANAGER_KEY}"
DUPLICATE_DELAY = 0.008
"""How far apart two Alertmanagers that are not clustered sent the same "resolved" notification in the probe."""


def nothing_open(dedup_key: str) -> dict[str, str]:
    return {"status": "success", "message": PAGERDUTY_NOTHING_OPEN, "dedup_key": dedup_key}


def kinds(timeline: list[Any]) -> list[str]:
    return [entry.kind for entry in timeline]


async def until_status(api: Api, incident_id: str, status: Status) -> None:
    for _ in range(200):
        if (await get_status(api.client, incident_id)).status is status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{incident_id} never became {status.value}")


@pytest.fixture
async def held(dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path) -> AsyncIterator[Api]:
    """The gateway and a worker whose webhook answers the first page at once and keeps every later one waiting, so an
    incident stays resolved (running, not closed) while its resolved page is in flight."""
    receiver = await Receiver(default=Reply(200, delay=120)).start()
    receiver.script(200)
    settings = gateway_settings(tmp_path, webhook_url=receiver.url("/pages"))
    app = create_app(settings, dev_env.client)
    try:
        async with (
            httpx.AsyncClient() as outbound,
            build_worker(dev_env.client, settings, catalog, outbound),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as http,
        ):
            try:
                yield Api(app, http, dev_env.client, settings)
            finally:
                await terminate_running(dev_env.client, settings.task_queue)
                await receiver.stop()  # the delivery waiting on it fails now, so the worker stops at once
    finally:
        await receiver.stop()


async def test_a_duplicate_resolved_notification_milliseconds_later_changes_nothing(api: Api) -> None:
    key = group_key()
    incident_id = keyed_id(f"alertmanager:prometheus:{key}")
    assert (await api.http.post(AM_URL, json=notification(key, alert("a1")))).status_code == 202
    resolved = notification(key, alert("a1", "resolved"))

    async def later() -> httpx.Response:
        await asyncio.sleep(DUPLICATE_DELAY)
        return await api.http.post(AM_URL, json=resolved)

    first, second = await asyncio.gather(api.http.post(AM_URL, json=resolved), later())

    assert (first.status_code, first.json()) == (200, answer(incident_id, "resolved", 2, False))
    assert (second.status_code, second.json()) == (200, IGNORED)
    record = await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert (kinds(record.timeline).count("escalation.level_paged"), record.resolved_by) == (1, "monitoring:prometheus")
    assert sorted(delivery.step for delivery in record.notifications) == ["page-0", "resolved"]
    assert await exists(api.client, keyed_id(f"alertmanager:prometheus:{key}", 2)) is False


async def test_duplicate_resolved_notifications_at_once_fold_one_and_drop_the_rest(api: Api) -> None:
    key = group_key()
    incident_id = keyed_id(f"alertmanager:prometheus:{key}")
    assert (await api.http.post(AM_URL, json=notification(key, alert("a1"), alert("a2")))).status_code == 202
    resolved = notification(key, alert("a1", "resolved"), alert("a2", "resolved"))
    responses = await asyncio.gather(*[api.http.post(AM_URL, json=resolved) for _ in range(5)])

    answers = Counter((r.status_code, r.json()["status"], r.json()["incident_id"]) for r in responses)
    assert answers == {(200, None, None): 4, (200, "resolved", incident_id): 1}
    record = await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert sorted(delivery.step for delivery in record.notifications) == ["page-0", "resolved"]
    assert await exists(api.client, keyed_id(f"alertmanager:prometheus:{key}", 2)) is False


async def test_a_resolved_notification_for_a_resolved_incident_not_yet_closed_opens_nothing(held: Api) -> None:
    key = group_key()
    incident_id = keyed_id(f"alertmanager:prometheus:{key}")
    assert (await held.http.post(AM_URL, json=notification(key, alert("a1")))).status_code == 202
    resolved = notification(key, alert("a1", "resolved"))
    done = await held.http.post(AM_URL, json=resolved)
    assert (done.status_code, done.json()) == (200, answer(incident_id, "resolved", 2, False))

    again = await held.http.post(AM_URL, json=resolved)
    assert (again.status_code, again.json()) == (200, IGNORED)
    description = await held.client.get_workflow_handle(incident_id).describe()
    view = await get_status(held.client, incident_id)
    assert (description.status.name, view.status) == ("RUNNING", Status.RESOLVED)  # resolved, not closed
    assert await exists(held.client, keyed_id(f"alertmanager:prometheus:{key}", 2)) is False
    # Firing again is news: it opens the next incident, as a new trigger after a resolution always has.
    fired = await held.http.post(AM_URL, json=notification(key, alert("a1")))
    assert (fired.status_code, fired.json()["incident_id"]) == (202, keyed_id(f"alertmanager:prometheus:{key}", 2))


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
async def test_pagerduty_acting_on_a_resolved_incident_not_yet_closed_opens_nothing(held: Api, action: str) -> None:
    dedup = f"resolved-{action}-{held.task_queue}"
    incident_id = keyed_id(f"pagerduty:datadog:{dedup}")
    assert (await held.http.post("/v2/enqueue", json=trigger_event(dedup))).status_code == 202
    resolved = await held.http.post("/v2/enqueue", json=action_event("resolve", dedup))
    assert (resolved.status_code, resolved.json()) == (202, accepted(dedup))
    await until_status(held, incident_id, Status.RESOLVED)

    response = await held.http.post("/v2/enqueue", json=action_event(action, dedup))
    assert (response.status_code, response.json()) == (202, nothing_open(dedup))
    view = await get_status(held.client, incident_id)
    assert (view.status, kinds(view.timeline).count(f"incident.{action}d")) == (
        Status.RESOLVED,
        1 if action == "resolve" else 0,
    )
    assert await exists(held.client, keyed_id(f"pagerduty:datadog:{dedup}", 2)) is False


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
async def test_pagerduty_acting_on_a_closed_incident_opens_nothing(api: Api, action: str) -> None:
    dedup = f"closed-{action}-{api.task_queue}"
    incident_id = keyed_id(f"pagerduty:datadog:{dedup}")
    assert (await api.http.post("/v2/enqueue", json=trigger_event(dedup))).status_code == 202
    assert (await api.http.post("/v2/enqueue", json=action_event("resolve", dedup))).status_code == 202
    await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()

    response = await api.http.post("/v2/enqueue", json=action_event(action, dedup))
    assert (response.status_code, response.json()) == (202, nothing_open(dedup))
    assert await exists(api.client, keyed_id(f"pagerduty:datadog:{dedup}", 2)) is False
