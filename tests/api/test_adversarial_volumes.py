"""Adversarial volumes over HTTP: an incident can be fed far more than it keeps, and still be read, resolved, closed and
documented; what its size budget refuses is a 4xx naming the bound.

Measured on the real dev server: the largest payload of every kind in the incidents' histories (inputs of continued
runs, of the close and document steps, their results, the workflow's result) and the largest query answer and HTTP
answer; each stays under ``budget.STATE_BUDGET_BYTES`` (256 KiB; Temporal refuses 2 MiB).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from domain.incident import budget
from domain.views.record import IncidentRecord
from tests.support.archive import archived_record
from tests.support.gateway import ALERTMANAGER_KEY, PAGERDUTY_KEY, RESPONDERS, Api, bearer, keyed_id
from workflows.incident import IncidentWorkflow

ALERTS_PER_NOTIFICATION = 2_000
NOTIFICATIONS = 50  # 100,000 alerts in one group
NOTES = 2_000
TRIGGERS = 10_000
PAYLOAD_BYTES = 64 * 1024


def notification(first: int, status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="CheckoutErrors"}',
        "status": status,
        "receiver": "incidents",
        "groupLabels": {"alertname": "CheckoutErrors"},
        "commonLabels": {"alertname": "CheckoutErrors", "severity": "critical", "service": "shop-payments"},
        "alerts": [
            {"status": status, "labels": {"alertname": "CheckoutErrors", "pod": f"p{n}"}, "fingerprint": f"{n:016x}"}
            for n in range(first, first + ALERTS_PER_NOTIFICATION)
        ],
    }


async def largest_payloads(client: Client, incident_id: str) -> dict[str, int]:
    """The largest payload per kind of event, over every run of the incident."""
    largest: defaultdict[str, int] = defaultdict(int)
    kinds = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: ("workflow_execution_started_event_attributes", "input"),
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: ("activity_task_scheduled_event_attributes", "input"),
        EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: ("activity_task_completed_event_attributes", "result"),
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: (
            "workflow_execution_continued_as_new_event_attributes",
            "input",
        ),
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: ("workflow_execution_completed_event_attributes", "result"),
    }
    async for execution in client.list_workflows(f"WorkflowId = '{incident_id}'"):
        handle = client.get_workflow_handle(incident_id, run_id=execution.run_id)
        async for event in handle.fetch_history_events():
            if event.event_type not in kinds:
                continue
            attributes, field = kinds[event.event_type]
            payloads = getattr(getattr(event, attributes), field).payloads
            name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                name += ":" + event.activity_task_scheduled_event_attributes.activity_type.name
            largest[name] = max(largest[name], sum(p.ByteSize() for p in payloads))
    return dict(largest)


async def read_resolve_and_document(api: Api, incident_id: str) -> dict[str, int]:
    token = RESPONDERS["amara"]
    answer = await api.http.get(f"/v1/incidents/{incident_id}", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    handle = api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
    view = await handle.query(IncidentWorkflow.get_status)
    resolved = await api.http.post(
        f"/v1/incidents/{incident_id}/resolve",
        json={"summary": "rolled back the release", "root_cause": "connection pool exhausted"},
        headers=bearer(token),
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    record: IncidentRecord = await handle.result()
    assert record.resolved_by == "amara"
    assert await asyncio.to_thread(archived_record, api.settings, incident_id) == record
    sizes = await largest_payloads(api.client, incident_id)
    sizes["http_get_incident"] = len(answer.content)
    sizes["query_get_status"] = len(view.model_dump_json())
    print(f"{incident_id}: largest payloads in bytes: {json.dumps(sizes, sort_keys=True)}")
    return sizes


async def test_a_hundred_thousand_alerts_and_thousands_of_largest_notes(api: Api) -> None:
    headers = bearer(ALERTMANAGER_KEY)
    incident_id = ""
    for n in range(NOTIFICATIONS):
        sent = await api.http.post(
            "/v1/integrations/alertmanager", json=notification(n * ALERTS_PER_NOTIFICATION), headers=headers
        )
        assert sent.status_code == (202 if n == 0 else 200), sent.text  # opened, then folded
        incident_id = sent.json()["incident_id"]
    text = "x" * 10_000  # the longest note a request may carry

    async def write(n: int) -> tuple[int, dict[str, Any]]:
        user = ["amara", "bruno"][n % 2]
        answer = await api.http.post(
            f"/v1/incidents/{incident_id}/notes", json={"text": text}, headers=bearer(RESPONDERS[user])
        )
        return answer.status_code, answer.json()

    answers: list[tuple[int, dict[str, Any]]] = []
    for chunk in range(0, NOTES, 8):  # Temporal admits ten updates in flight per incident
        answers += await asyncio.gather(*(write(n) for n in range(chunk, min(chunk + 8, NOTES))))
    accepted = [n for n, (status, _) in enumerate(answers) if status == 200]
    assert len(accepted) == 4  # 4 × 10,000 bytes; a fifth would pass the 49,152 bytes all notes may hold
    refused = {(status, body["error"]) for status, body in answers if status != 200}
    assert refused == {
        (
            409,
            "cannot add the note: the incident's notes would hold 50000 bytes of text, more than the 49152 it keeps "
            "(40000 used)",
        )
    }
    view = await api.client.get_workflow_handle(incident_id).query(IncidentWorkflow.get_status)
    assert len([e for e in view.timeline if e.kind == "note.added"]) == 4
    sizes = await read_resolve_and_document(api, incident_id)
    assert max(sizes.values()) < budget.STATE_BUDGET_BYTES


async def test_ten_thousand_triggers_with_the_largest_payloads(api: Api) -> None:
    body = {
        "routing_key": PAGERDUTY_KEY,
        "event_action": "trigger",
        "dedup_key": "checkout-errors",
        "payload": {
            "summary": "Checkout error rate above 5%",
            "source": "shop-payments",
            "severity": "critical",
            "custom_details": {"dump": "d" * (PAYLOAD_BYTES - 200)},
        },
    }
    assert len(json.dumps(body)) > 60_000

    async def send() -> str:
        answer = await api.http.post("/v2/enqueue", json=body)
        assert answer.status_code == 202, answer.text
        return str(answer.json()["dedup_key"])

    for _ in range(0, TRIGGERS, 200):
        keys = await asyncio.gather(*(send() for _n in range(200)))
        assert set(keys) == {"checkout-errors"}
    incident_id = keyed_id("pagerduty:datadog:checkout-errors")
    view = await api.client.get_workflow_handle(incident_id).query(IncidentWorkflow.get_status)
    assert view.triggers == TRIGGERS
    sizes = await read_resolve_and_document(api, incident_id)
    assert max(sizes.values()) < budget.STATE_BUDGET_BYTES
