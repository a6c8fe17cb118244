"""Responders on a real dev server: updates and validators, signals, queries, search attributes, the UI's view."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog
from adapters.incident_client import act, classification, get_status, list_incidents, report_incident, summary_line
from adapters.incident_client import visibility_query as query
from domain.errors import ActionRefused
from domain.messages.actions import (
    AcknowledgeRequest,
    ActionResult,
    EscalateRequest,
    NoteRequest,
    ReassignRequest,
    ResolveRequest,
    SetPriorityRequest,
)
from domain.models import Priority, Status
from tests.support.reports import PAYMENTS
from workflows.incident import IncidentWorkflow


async def open_payments_incident(dev_env: WorkflowEnvironment, dev_worker: Worker, catalog: LoadedCatalog) -> str:
    summary = summary_line(PAYMENTS, catalog.catalog, catalog.version)
    incident_id, handle = await report_incident(
        dev_env.client, PAYMENTS, task_queue=dev_worker.task_queue, summary=summary
    )
    assert await classification(handle) == ActionResult(
        incident_id=incident_id, status=Status.TRIGGERED, priority=Priority.P1, assignee=None, escalation_level=1
    )
    return incident_id


async def refusal(coroutine: object) -> str:
    with pytest.raises(ActionRefused) as refused:
        await coroutine  # type: ignore[misc]
    return str(refused.value)


async def test_updates_answer_the_new_status_and_validators_refuse_before_history(
    dev_env: WorkflowEnvironment, dev_worker: Worker, catalog: LoadedCatalog
) -> None:
    client = dev_env.client
    incident_id = await open_payments_incident(dev_env, dev_worker, catalog)
    wf = IncidentWorkflow

    assert await refusal(act(client, incident_id, wf.acknowledge, AcknowledgeRequest(by="mallory"))) == (
        "unknown responder 'mallory': not a user in the catalog"
    )
    acknowledged = await act(client, incident_id, wf.acknowledge, AcknowledgeRequest(by="amara"))
    assert (acknowledged.status, acknowledged.assignee, acknowledged.escalation_level) == (
        Status.ACKNOWLEDGED,
        "amara",
        1,
    )
    assert await refusal(act(client, incident_id, wf.acknowledge, AcknowledgeRequest(by="bruno"))) == (
        "cannot acknowledge: the incident is already acknowledged"
    )
    noted = await act(client, incident_id, wf.add_note, NoteRequest(by="amara", text="card processor returns 502"))
    assert noted.status is Status.ACKNOWLEDGED
    assert await refusal(act(client, incident_id, wf.reassign, ReassignRequest(by="amara", to="zed"))) == (
        "cannot reassign to unknown responder 'zed'"
    )
    assert await refusal(
        act(client, incident_id, wf.set_priority, SetPriorityRequest(by="amara", priority=Priority.P1, reason="x"))
    ) == ("cannot set the priority: it is already P1")
    lowered = await act(
        client, incident_id, wf.set_priority, SetPriorityRequest(by="amara", priority=Priority.P2, reason="EU only")
    )
    assert (lowered.status, lowered.priority) == (Status.ACKNOWLEDGED, Priority.P2)
    escalated = await act(client, incident_id, wf.escalate, EscalateRequest(by="amara", reason="need payments team"))
    assert (escalated.status, escalated.assignee, escalated.escalation_level) == (Status.TRIGGERED, None, 2)

    view = await get_status(client, incident_id)
    assert (view.status, view.priority, view.team, view.escalation_policy) == (
        Status.TRIGGERED,
        Priority.P2,
        "shop-payments",
        "payments-critical",
    )
    assert view.escalation_targets == ["amara", "bruno"]
    assert view.next_escalation_at is not None
    assert [entry.kind for entry in view.timeline if not entry.kind.startswith("notification.")] == [
        "incident.opened",
        "incident.classified",
        "incident.routed",
        "escalation.level_paged",
        "incident.acknowledged",
        "note.added",
        "priority.changed",
        "incident.escalated",
        "escalation.level_paged",
    ]

    resolved = await act(
        client, incident_id, wf.resolve, ResolveRequest(by="bruno", summary="failover", root_cause="expired cert")
    )
    assert resolved.status is Status.RESOLVED
    record = await client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert (record.resolved_by, record.root_cause, record.priority) == ("bruno", "expired cert", Priority.P2)

    # Refused updates never reached history: five actions accepted, four refused by validators.
    history = await client.get_workflow_handle(incident_id).fetch_history()
    accepted = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
    assert len(accepted) == 5 + 1  # the five actions plus the reporter's wait_for_classification


async def test_signals_act_like_the_cli_and_ui_and_refused_ones_are_on_the_timeline(
    dev_env: WorkflowEnvironment, dev_worker: Worker, catalog: LoadedCatalog
) -> None:
    incident_id = await open_payments_incident(dev_env, dev_worker, catalog)
    handle = dev_env.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
    await handle.signal("acknowledge", {"by": "bruno"})  # plain JSON, as `temporal workflow signal --input` sends
    await handle.signal("acknowledge", {"by": "amara"})
    view = await wait_for(lambda v: any(e.kind == "action.rejected" for e in v.timeline), dev_env, incident_id)
    assert (view.status, view.assignee) == (Status.ACKNOWLEDGED, "bruno")
    rejected = [e for e in view.timeline if e.kind == "action.rejected"]
    assert [(e.actor, e.message) for e in rejected] == [
        ("amara", "acknowledge by amara refused: cannot acknowledge: the incident is already acknowledged")
    ]
    await handle.signal("resolve", {"by": "bruno", "summary": "restarted gateway", "root_cause": "memory leak"})
    record = await handle.result()
    assert (record.resolved_by, record.resolution_summary, record.acknowledged_by) == (
        "bruno",
        "restarted gateway",
        "bruno",
    )


async def wait_for(predicate: object, dev_env: WorkflowEnvironment, incident_id: str, seconds: float = 10) -> object:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        view = await get_status(dev_env.client, incident_id)
        if predicate(view) or loop.time() > deadline:  # type: ignore[operator]
            return view
        await asyncio.sleep(0.1)


async def test_search_attributes_summary_and_details_show_the_incident_in_the_ui(
    dev_env: WorkflowEnvironment, dev_worker: Worker, catalog: LoadedCatalog
) -> None:
    client = dev_env.client
    incident_id = await open_payments_incident(dev_env, dev_worker, catalog)
    await act(client, incident_id, IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))

    wanted = query(status=Status.ACKNOWLEDGED, priority=Priority.P1, service="shop-payments", team="shop-payments")
    found = []
    for _ in range(100):  # visibility is eventually consistent
        found = [i for i in await list_incidents(client, wanted) if i.incident_id == incident_id]
        if found:
            break
        await asyncio.sleep(0.1)
    assert [(i.status, i.priority, i.service, i.team, i.sla_breached) for i in found] == [
        ("acknowledged", "P1", "shop-payments", "shop-payments", False)
    ]

    handle = client.get_workflow_handle(incident_id)
    description = await handle.describe()
    assert await description.static_summary() == "P1 · shop-payments · Payments failing for all users"
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert metadata.current_details.startswith("P1 · acknowledged — acknowledged by amara — resolve SLA breaches at ")
    await act(client, incident_id, IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="s", root_cause="r"))
