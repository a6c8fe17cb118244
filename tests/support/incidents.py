"""Helpers for workflow tests: start an incident, take it to closed, read its timeline as offsets from the start, see
what its pending activities are doing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from domain.messages.actions import AcknowledgeRequest, ResolveRequest
from domain.messages.steps import IncidentInput
from domain.models import IncidentReport
from domain.views.record import IncidentRecord, IncidentStatusView
from tests.support.reports import PAYMENTS
from workflows.incident import IncidentWorkflow


def report(**changes: Any) -> IncidentReport:
    return PAYMENTS.model_copy(update=changes)


_started: dict[str, list[WorkflowHandle[Any, Any]]] = {}


async def start(client: Client, task_queue: str, incident: IncidentReport = PAYMENTS) -> WorkflowHandle[Any, Any]:
    incident_id = f"INC-TEST-{uuid.uuid4().hex[:8]}"
    handle = await client.start_workflow(
        IncidentWorkflow.run,
        IncidentInput(incident_id=incident_id, report=incident),
        id=incident_id,
        task_queue=task_queue,
    )
    _started.setdefault(task_queue, []).append(handle)
    return handle


async def terminate_open(client: Client, task_queue: str) -> None:
    """Terminate the incidents a test started on ``task_queue`` that are still running."""
    for handle in _started.pop(task_queue, []):
        description = await handle.describe()
        if description.status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate("test finished")


async def acknowledge(handle: WorkflowHandle[Any, Any], by: str = "amara") -> None:
    await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by=by))


async def resolve(handle: WorkflowHandle[Any, Any], by: str = "amara") -> None:
    """Resolve with a fixed summary and root cause: the update returns once resolved, before the incident closes."""
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by=by, summary="failed over", root_cause="expired TLS certificate")
    )


async def pending_attempts(handle: WorkflowHandle[Any, Any], activity: str) -> tuple[int, str] | None:
    """The pending ``activity``'s attempt number and its last failure's message, or None when it is not pending."""
    description = await handle.describe()
    for pending in description.raw_description.pending_activities:
        if pending.activity_type.name == activity:
            return pending.attempt, pending.last_failure.message
    return None


async def wait_for_retries(handle: WorkflowHandle[Any, Any], activity: str, attempt: int, seconds: float) -> str:
    """Wait until ``activity`` is pending at ``attempt`` or later (it failed and is retried); its last failure."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (pending := await pending_attempts(handle, activity)) is None or pending[0] < attempt:
        assert loop.time() < deadline, f"{activity} of {handle.id}: attempt {attempt} not reached: {pending}"
        await asyncio.sleep(0.1)
    return pending[1]


async def activity_identity(handle: WorkflowHandle[Any, Any], activity: str) -> str:
    """The identity (``pid@host``) of the worker whose attempt of ``activity`` completed."""
    scheduled: set[int] = set()
    started: dict[int, str] = {}
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            if event.activity_task_scheduled_event_attributes.activity_type.name == activity:
                scheduled.add(event.event_id)
        elif event.HasField("activity_task_started_event_attributes"):
            attributes = event.activity_task_started_event_attributes
            started[attributes.scheduled_event_id] = attributes.identity
    (identity,) = [started[event_id] for event_id in scheduled]
    return identity


async def status(handle: WorkflowHandle[Any, Any]) -> IncidentStatusView:
    view: IncidentStatusView = await handle.query(IncidentWorkflow.get_status)
    return view


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def offset(start: datetime, moment: datetime) -> timedelta:
    """Workflow time since ``start``, to the second (classification itself takes a few milliseconds)."""
    return timedelta(seconds=round((moment - start).total_seconds()))


def events(view: IncidentStatusView | IncidentRecord, *kinds: str) -> list[tuple[str, timedelta, str]]:
    """(kind, offset from opening, short detail) for the timeline entries of the given kinds."""
    picked = []
    for entry in view.timeline:
        if kinds and entry.kind not in kinds:
            continue
        data = entry.data
        if entry.kind == "escalation.level_paged":
            detail = f"L{data['level']}/pass{data['loop']}"
        elif entry.kind.startswith("sla."):
            detail = f"{data['clock']}:{data['percent']}"
        else:
            detail = entry.actor or ""
        picked.append((entry.kind, offset(view.opened_at, entry.at), detail))
    return picked
