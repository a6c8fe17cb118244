"""Talking to incidents from the edges (CLI, HTTP): report, act, look up, list. Errors come back translated."""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from adapters.archive.present import archived_status
from adapters.archive.repository import ArchiveRepository
from adapters.archive.rows import ArchiveEntry
from domain.errors import ActionRefused, ArchiveError, IncidentNotFound
from domain.messages.actions import ActionResult
from domain.messages.steps import IncidentInput
from domain.models import IncidentReport, Priority, Status
from domain.policy.catalog import Catalog, route_report
from domain.policy.priority import decide_priority
from domain.views.record import IncidentStatusView, SimilarIncident
from workflows import search_attributes as sa
from workflows.incident import IncidentWorkflow

logger = logging.getLogger(__name__)


def new_incident_id() -> str:
    """``INC-`` and ten characters from a random UUID: short enough to type, unique enough to trust."""
    return "INC-" + base64.b32encode(uuid.uuid4().bytes).decode()[:10]


def summary_line(report: IncidentReport, catalog: Catalog | None, catalog_version: str = "") -> str:
    """The static summary shown in the Temporal UI: ``P1 · shop-payments · Payments failing for all users``."""
    if catalog is None:
        return f"{report.service} · {report.title}"[:200]
    incident_route = route_report(catalog, report, catalog_version)
    decision = decide_priority(report.impact, report.urgency, incident_route.criticality, catalog_version)
    return f"{decision.priority.value} · {report.service} · {report.title}"[:200]


async def report_incident(
    client: Client,
    report: IncidentReport,
    *,
    task_queue: str,
    summary: str,
    incident_id: str | None = None,
) -> tuple[str, WorkflowHandle[Any, Any]]:
    """Start the incident's workflow; answers its id and handle once the server has accepted it."""
    incident_id = incident_id or new_incident_id()
    handle = await client.start_workflow(
        IncidentWorkflow.run,
        IncidentInput(incident_id=incident_id, report=report),
        id=incident_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        static_summary=summary,
        search_attributes=initial_search_attributes(report),
    )
    return incident_id, handle


async def classification(handle: WorkflowHandle[Any, Any]) -> ActionResult:
    """Waits until the incident has a priority and a route (a worker must be running)."""
    result: ActionResult = await handle.execute_update(IncidentWorkflow.wait_for_classification)
    return result


def initial_search_attributes(report: IncidentReport) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(sa.INCIDENT_STATUS, Status.TRIGGERED.value),
            SearchAttributePair(sa.INCIDENT_SERVICE, report.service),
            SearchAttributePair(sa.INCIDENT_SLA_BREACHED, False),
        ]
    )


def refused(error: WorkflowUpdateFailedError) -> ActionRefused:
    cause = error.cause
    message = cause.message if isinstance(cause, ApplicationError) else str(cause or error)
    return ActionRefused(message)


async def _why_not_found(client: Client, incident_id: str) -> ActionRefused | IncidentNotFound:
    """An update answered NOT_FOUND: the incident never existed, or it is closed."""
    try:
        description = await client.get_workflow_handle(incident_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return IncidentNotFound(f"no incident {incident_id!r}")
        raise
    if description.status == WorkflowExecutionStatus.RUNNING:  # closed and started again under the same id since
        return ActionRefused(f"incident {incident_id} changed while acting on it: try again")
    return ActionRefused(f"incident {incident_id} is closed")


async def act(client: Client, incident_id: str, update: Callable[..., Any], request: BaseModel) -> ActionResult:
    """Run one responder update (acknowledge, resolve, add_note, ...) and answer the incident's new status.

    One round trip: the incident is only described when the update finds no running incident, to say why.
    """
    handle = client.get_workflow_handle(incident_id)
    method: Any = update  # one of IncidentWorkflow's update methods; typed loosely so any of them fits
    try:
        result: ActionResult = await handle.execute_update(method, request)
    except WorkflowUpdateFailedError as error:
        raise refused(error) from error
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise await _why_not_found(client, incident_id) from error
        raise
    return result


async def get_status(client: Client, incident_id: str, archive: ArchiveRepository | None = None) -> IncidentStatusView:
    """The incident's status from its workflow; for a closed incident whose history is gone, from the archive."""
    handle = client.get_workflow_handle(incident_id)
    try:
        view: IncidentStatusView = await handle.query(IncidentWorkflow.get_status)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            archived = await archived_status(archive, incident_id)
            if archived is not None:
                return archived
            raise IncidentNotFound(f"no incident {incident_id!r}") from error
        raise
    if archive is not None and view.category is not None:
        view.similar = await similar_incidents(archive, view.service, view.category, incident_id)
    return view


async def similar_incidents(
    archive: ArchiveRepository, service: str, category: str, incident_id: str
) -> list[SimilarIncident]:
    """What the archive knows of incidents like this one; nothing (and a warning) when it cannot be read now: the
    status of an open incident never waits for the archive."""
    try:
        entries = await asyncio.to_thread(archive.similar, service, category, incident_id)
    except ArchiveError as error:
        logger.warning("similar incidents left out: %s", error)
        return []
    return [
        SimilarIncident(incident_id=e.incident_id, title=e.title, priority=e.priority, closed_at=e.closed_at)
        for e in entries
    ]


def archived_listing(entry: ArchiveEntry) -> IncidentListing:
    """A closed incident of the archive, listed like the open ones."""
    return IncidentListing(
        incident_id=entry.incident_id,
        status=Status.CLOSED.value,
        priority=entry.priority.value if entry.priority else None,
        service=entry.service,
        team=entry.team,
        sla_breached=entry.sla_breached,
        started_at=entry.opened_at,
    )


@dataclass(frozen=True)
class IncidentListing:
    incident_id: str
    status: str | None
    priority: str | None
    service: str | None
    team: str | None
    sla_breached: bool | None
    started_at: datetime


def visibility_query(
    status: Status | None = None,
    priority: Priority | None = None,
    service: str | None = None,
    team: str | None = None,
) -> str:
    """A visibility query over the incidents' search attributes; values are enums or catalog ids."""
    clauses = ["WorkflowType = 'IncidentWorkflow'"]
    for key, value in (
        (sa.INCIDENT_STATUS, status.value if status else None),
        (sa.INCIDENT_PRIORITY, priority.value if priority else None),
        (sa.INCIDENT_SERVICE, service),
        (sa.INCIDENT_TEAM, team),
    ):
        if value is not None:
            if "'" in value or "\\" in value:
                raise ValueError(f"{key.name}: {value!r} is not a valid id")
            clauses.append(f"{key.name} = '{value}'")
    return " AND ".join(clauses)


async def list_incidents(client: Client, query: str, limit: int = 50) -> list[IncidentListing]:
    listings = []
    async for execution in client.list_workflows(query, limit=limit):
        attributes = execution.typed_search_attributes
        listings.append(
            IncidentListing(
                incident_id=execution.id,
                status=attributes.get(sa.INCIDENT_STATUS),
                priority=attributes.get(sa.INCIDENT_PRIORITY),
                service=attributes.get(sa.INCIDENT_SERVICE),
                team=attributes.get(sa.INCIDENT_TEAM),
                sla_breached=attributes.get(sa.INCIDENT_SLA_BREACHED),
                started_at=execution.start_time,
            )
        )
    return listings
