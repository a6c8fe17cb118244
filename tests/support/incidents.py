"""Helpers for workflow tests: start an incident, read its timeline as offsets from the start."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

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
