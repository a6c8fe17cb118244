"""``/v1/incidents``: report an incident; list, look up and act on incidents as a responder.

Reporting takes an integration key of kind ``api`` or a responder token; everything else a responder token, and
the acting user is always the token's user. Bodies never name an actor (``by`` and ``reporter`` are unknown fields):
a report's ``reporter`` is the caller (the responder, or ``api:<integration>``), and ``on_behalf_of`` is free text.
"""

import asyncio
import contextlib
import functools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError

from adapters.archive import ClosedFilters
from adapters.incident_client import (
    IncidentListing,
    act,
    archived_listing,
    classification,
    get_status,
    list_incidents,
    report_incident,
    visibility_query,
)
from adapters.keyed_triggers import find_open_incident
from api.auth import Caller, reporter, responder
from api.gateway import Gateway, bounded
from api.openapi import BEARER, CREDENTIALS, EVERY_REQUEST, JSON_BODY, TEMPORAL, errors
from domain.errors import IncidentNotFound
from domain.messages.actions import (
    AcknowledgeRequest,
    ActionAddRequest,
    ActionDeferRequest,
    ActionDoneRequest,
    ActionResult,
    CloseByHandRequest,
    CompleteReviewRequest,
    EscalateRequest,
    NoteRequest,
    ReassignRequest,
    ReopenRequest,
    RepolicyRequest,
    ResolveRequest,
    ReviewRequest,
    RoleRequest,
    SetPriorityRequest,
    SnoozeLength,
    SnoozeRequest,
    StatusUpdateRequest,
    SubscribeRequest,
    TriggerRequest,
)
from domain.models import (
    IncidentReport,
    MultiLine,
    Priority,
    ReportContent,
    ReviewSection,
    Role,
    SingleLine,
    Status,
    UpdateState,
)
from domain.views.record import IncidentStatusView
from workflows.incident import IncidentWorkflow

CLASSIFY_WAIT_SECONDS = 10.0
"""How long a report waits for a worker to classify the incident before answering with ``priority: null``."""
ANSWER_WAIT_SECONDS = 20.0
"""How long an action or a status lookup waits for a worker before answering 504."""
INCIDENT_ID = re.compile(r"INC-[A-Za-z0-9-]{1,100}")
CATALOG_ID = r"^[a-z0-9][a-z0-9._-]*$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AcknowledgeBody(_Body):
    """Nothing to say: the token says who acknowledges."""


class ResolveBody(_Body):
    summary: MultiLine = Field(min_length=1, max_length=5_000)
    root_cause: MultiLine = Field(min_length=1, max_length=5_000)


class NoteBody(_Body):
    text: MultiLine = Field(min_length=1, max_length=10_000)


class ReviewBody(_Body):
    section: ReviewSection
    text: MultiLine = Field(min_length=1, max_length=10_000)


class ActionBody(_Body):
    owner: SingleLine = Field(min_length=1, max_length=200)
    due: AwareDatetime
    text: MultiLine = Field(min_length=1, max_length=2_000)


class UpdateBody(_Body):
    state: UpdateState
    message: MultiLine = Field(min_length=1, max_length=5_000)


class DeferBody(_Body):
    reason: MultiLine = Field(min_length=1, max_length=2_000)


class RoleBody(_Body):
    role: Role
    user: SingleLine = Field(min_length=1, max_length=200)


class ReopenBody(_Body):
    reason: MultiLine = Field(min_length=1, max_length=2_000)


class EscalateBody(_Body):
    reason: MultiLine | None = Field(default=None, min_length=1, max_length=2_000)


class ReassignBody(_Body):
    to: SingleLine = Field(min_length=1, max_length=200)
    reason: MultiLine | None = Field(default=None, min_length=1, max_length=2_000)


class PriorityBody(_Body):
    priority: Priority
    reason: MultiLine = Field(min_length=1, max_length=2_000)


class SnoozeBody(_Body):
    duration: SnoozeLength
    """``30m``, ``1h30m`` or ISO 8601 (``PT30M``); at least a minute, at most what the escalation policy allows."""
    reason: MultiLine | None = Field(default=None, min_length=1, max_length=2_000)


class ReportAccepted(BaseModel):
    incident_id: str
    priority: Priority | None
    """None when no worker classified the incident in time; it will be once one runs."""
    status: Status
    url: str


class IncidentSummary(BaseModel):
    incident_id: str
    status: str | None
    priority: str | None
    service: str | None
    team: str | None
    sla_breached: bool | None
    started_at: datetime
    url: str


class IncidentList(BaseModel):
    incidents: list[IncidentSummary]
    next: str | None = None
    """Closed incidents (``status=closed``): the cursor of the next page, as ``after``; None on the last one."""


def checked_id(incident_id: str) -> str:
    if not INCIDENT_ID.fullmatch(incident_id):
        raise IncidentNotFound(f"no incident {incident_id!r}")
    return incident_id


async def report_and_classify(
    gateway: Gateway, client: Client, report: IncidentReport, caller: Caller
) -> ReportAccepted:
    """Open the incident (or fold the report into the open one for its dedup key) and wait for its priority."""
    priority: Priority | None = None
    status = Status.TRIGGERED
    if report.dedup_key is not None:
        trigger = TriggerRequest(
            source="api",
            integration=caller.name,
            dedup_key=f"api:{caller.name}:{report.dedup_key}",
            summary=report.title,
            payload=report.model_dump(mode="json"),
        )
        sender = await gateway.triggers()
        try:
            result = await asyncio.wait_for(
                sender.send(report, bounded(trigger), gateway.summary(report)), CLASSIFY_WAIT_SECONDS
            )
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            # The incident was started but no worker took the trigger in time; it will once one runs.
            found = await find_open_incident(client, trigger.dedup_key)
            if found is None:
                raise TimeoutError("no worker answered in time") from None
            incident_id = found
        else:
            assert result is not None, "a report has no alerts: it always opens an incident or folds into one"
            incident_id, priority, status = result.incident_id, result.priority, result.status
    else:
        incident_id, handle = await report_incident(
            client, report, task_queue=gateway.settings.task_queue, summary=gateway.summary(report)
        )
        # No worker in time: the incident is open and will be classified once one runs; answer with priority null.
        # (The SDK answers a cancelled update call with its own error instead of TimeoutError.)
        with contextlib.suppress(TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            classified = await asyncio.wait_for(classification(handle), CLASSIFY_WAIT_SECONDS)
            priority, status = classified.priority, classified.status
    return ReportAccepted(
        incident_id=incident_id, priority=priority, status=status, url=gateway.incident_url(incident_id)
    )


NO_INCIDENT = "No incident with this id"
REPORT_REFUSED = "The open incident for the dedup key refused the report"
ACTION_ERRORS = errors(EVERY_REQUEST, JSON_BODY, CREDENTIALS, 404, 409, TEMPORAL, _404=NO_INCIDENT)


def incidents_router(gateway: Gateway) -> APIRouter:
    router = APIRouter(prefix="/v1/incidents", tags=["incidents"])

    def as_responder(request: Request) -> str:
        return responder(gateway.credentials, request)

    def as_reporter(request: Request) -> Caller:
        return reporter(gateway.credentials, request)

    User = Annotated[str, Depends(as_responder)]
    action = functools.partial(
        router.post, response_model=ActionResult, responses=ACTION_ERRORS, openapi_extra={"security": BEARER}
    )
    """An action on an incident: what every one answers, and how it authenticates."""

    async def perform(incident_id: str, update: Callable[..., Any], request: BaseModel) -> ActionResult:
        client = await gateway.temporal.get()
        return await asyncio.wait_for(act(client, checked_id(incident_id), update, request), ANSWER_WAIT_SECONDS)

    @router.post(
        "",
        status_code=202,
        response_model=ReportAccepted,
        summary="Report an incident",
        responses=errors(EVERY_REQUEST, JSON_BODY, CREDENTIALS, 409, TEMPORAL, _409=REPORT_REFUSED),
        openapi_extra={"security": BEARER},
    )
    async def report(body: ReportContent, caller: Annotated[Caller, Depends(as_reporter)]) -> JSONResponse:
        """Opens an incident; with ``dedup_key``, repeats fold into the open incident for that key.

        The reporter is whoever the credentials belong to; ``on_behalf_of`` may say for whom, in free text."""
        report = IncidentReport(**dict(body), reporter=caller.principal)
        accepted = await report_and_classify(gateway, await gateway.temporal.get(), report, caller)
        return JSONResponse(accepted.model_dump(mode="json"), status_code=202)

    @router.get(
        "",
        response_model=IncidentList,
        summary="List incidents, newest first; closed ones (and `q`, a full-text search) from the archive",
        responses=errors(
            EVERY_REQUEST, CREDENTIALS, 400, 422, TEMPORAL, _400="a `next` cursor this archive did not hand out"
        ),
        openapi_extra={"security": BEARER},
    )
    async def list_(
        user: User,
        status: Status | None = None,
        priority: Priority | None = None,
        service: Annotated[str | None, Query(pattern=CATALOG_ID, max_length=100)] = None,
        team: Annotated[str | None, Query(pattern=CATALOG_ID, max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        after: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
        q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    ) -> IncidentList:
        if q is not None or status is Status.CLOSED:
            return await archived(q, ClosedFilters(priority=priority, service=service, team=team), after, limit)
        client = await gateway.temporal.get()
        query = visibility_query(status, priority, service, team)
        listings = await asyncio.wait_for(list_incidents(client, query, limit), ANSWER_WAIT_SECONDS)
        return IncidentList(incidents=[summary(listing) for listing in listings])

    def summary(listing: IncidentListing) -> IncidentSummary:
        return IncidentSummary(**vars(listing), url=gateway.incident_url(listing.incident_id))

    async def archived(q: str | None, filters: ClosedFilters, after: str | None, limit: int) -> IncidentList:
        """Closed incidents from the archive: a full-text search (``q``, best first) or a page of the closed list."""
        archive = gateway.archive()
        if archive is None:
            return IncidentList(incidents=[])
        if q is not None:
            entries = await asyncio.to_thread(archive.search, q, min(limit, 100))
            return IncidentList(incidents=[summary(archived_listing(entry)) for entry in entries])
        page = await asyncio.to_thread(archive.list_closed, filters, after, limit)
        return IncidentList(incidents=[summary(archived_listing(entry)) for entry in page.entries], next=page.next)

    @router.get(
        "/{incident_id}",
        response_model=IncidentStatusView,
        summary="An incident's status and timeline",
        responses=errors(EVERY_REQUEST, CREDENTIALS, 404, TEMPORAL, _404=NO_INCIDENT),
        openapi_extra={"security": BEARER},
    )
    async def status_(incident_id: str, user: User) -> IncidentStatusView:
        client = await gateway.temporal.get()
        return await asyncio.wait_for(
            get_status(client, checked_id(incident_id), gateway.archive()), ANSWER_WAIT_SECONDS
        )

    @action("/{incident_id}/acknowledge", summary="Acknowledge: you own it now")
    async def acknowledge(incident_id: str, user: User, body: AcknowledgeBody | None = None) -> ActionResult:
        return await perform(incident_id, IncidentWorkflow.acknowledge, AcknowledgeRequest(by=user))

    @action("/{incident_id}/resolve", summary="Resolve, with summary and cause")
    async def resolve(incident_id: str, user: User, body: ResolveBody) -> ActionResult:
        request = ResolveRequest(by=user, summary=body.summary, root_cause=body.root_cause)
        return await perform(incident_id, IncidentWorkflow.resolve, request)

    @action("/{incident_id}/review", summary="Write a section of the post-incident review")
    async def edit_review(incident_id: str, user: User, body: ReviewBody) -> ActionResult:
        request = ReviewRequest(by=user, section=body.section, text=body.text)
        return await perform(incident_id, IncidentWorkflow.edit_review, request)

    @action("/{incident_id}/review/complete", summary="Complete the post-incident review")
    async def complete_review(incident_id: str, user: User, body: AcknowledgeBody | None = None) -> ActionResult:
        """Refused (409) while a required section is empty, naming them."""
        return await perform(incident_id, IncidentWorkflow.complete_review, CompleteReviewRequest(by=user))

    @action("/{incident_id}/actions", summary="Add an action item")
    async def add_action(incident_id: str, user: User, body: ActionBody) -> ActionResult:
        """Its owner is reminded when it falls due, then daily while it is overdue."""
        request = ActionAddRequest(by=user, owner=body.owner, due=body.due, text=body.text)
        return await perform(incident_id, IncidentWorkflow.add_action, request)

    @action("/{incident_id}/actions/{number}/done", summary="Mark an action item done")
    async def action_done(
        incident_id: str, number: Annotated[int, Path(ge=1)], user: User, body: AcknowledgeBody | None = None
    ) -> ActionResult:
        return await perform(incident_id, IncidentWorkflow.action_done, ActionDoneRequest(by=user, number=number))

    @action("/{incident_id}/actions/{number}/defer", summary="Defer an action item, with the reason")
    async def action_defer(
        incident_id: str, number: Annotated[int, Path(ge=1)], user: User, body: DeferBody
    ) -> ActionResult:
        request = ActionDeferRequest(by=user, number=number, reason=body.reason)
        return await perform(incident_id, IncidentWorkflow.action_defer, request)

    @action("/{incident_id}/updates", summary="Post a status update for stakeholders")
    async def post_update(incident_id: str, user: User, body: UpdateBody) -> ActionResult:
        """Sent to the service's subscribers for the incident's priority and to everyone subscribed."""
        request = StatusUpdateRequest(by=user, state=body.state, message=body.message)
        return await perform(incident_id, IncidentWorkflow.post_update, request)

    @action("/{incident_id}/subscribe", summary="Subscribe to its status updates")
    async def subscribe(incident_id: str, user: User, body: AcknowledgeBody | None = None) -> ActionResult:
        return await perform(incident_id, IncidentWorkflow.subscribe, SubscribeRequest(by=user))

    @action("/{incident_id}/repolicy", summary="Move it to the current catalog's policy and SLA")
    async def move_to_current_policy(incident_id: str, user: User, body: AcknowledgeBody | None = None) -> ActionResult:
        """An open incident keeps the policy and SLA it was classified with until moved; both versions are recorded."""
        return await perform(incident_id, IncidentWorkflow.repolicy, RepolicyRequest(by=user))

    @action("/{incident_id}/close", summary="Close a resolved incident now")
    async def close(incident_id: str, user: User, body: AcknowledgeBody | None = None) -> ActionResult:
        """Once its review and action items are done (its reopen window cut short), or earlier where the policy
        allows; otherwise 409 with what is missing."""
        return await perform(incident_id, IncidentWorkflow.close, CloseByHandRequest(by=user))

    @action("/{incident_id}/roles", summary="Give a role: commander, scribe, communications")
    async def assign_role(incident_id: str, user: User, body: RoleBody) -> ActionResult:
        """A hand-over when someone holds the role already; both names go on the timeline."""
        request = RoleRequest(by=user, role=body.role, user=body.user)
        return await perform(incident_id, IncidentWorkflow.assign_role, request)

    @action("/{incident_id}/reopen", summary="Reopen within the reopen window")
    async def reopen(incident_id: str, user: User, body: ReopenBody) -> ActionResult:
        """A resolved incident stays open for its policy's reopen window; reopening pages its current level again."""
        return await perform(incident_id, IncidentWorkflow.reopen, ReopenRequest(by=user, reason=body.reason))

    @action("/{incident_id}/notes", summary="Add a note to the timeline")
    async def note(incident_id: str, user: User, body: NoteBody) -> ActionResult:
        return await perform(incident_id, IncidentWorkflow.add_note, NoteRequest(by=user, text=body.text))

    @action("/{incident_id}/escalate", summary="Page the next level now")
    async def escalate(incident_id: str, user: User, body: EscalateBody | None = None) -> ActionResult:
        fields = {"by": user} | ({"reason": body.reason} if body and body.reason else {})
        return await perform(incident_id, IncidentWorkflow.escalate, EscalateRequest.model_validate(fields))

    @action("/{incident_id}/reassign", summary="Hand the incident to someone")
    async def reassign(incident_id: str, user: User, body: ReassignBody) -> ActionResult:
        fields = {"by": user, "to": body.to} | ({"reason": body.reason} if body.reason else {})
        return await perform(incident_id, IncidentWorkflow.reassign, ReassignRequest.model_validate(fields))

    @action("/{incident_id}/priority", summary="Change the priority")
    async def set_priority(incident_id: str, user: User, body: PriorityBody) -> ActionResult:
        request = SetPriorityRequest(by=user, priority=body.priority, reason=body.reason)
        return await perform(incident_id, IncidentWorkflow.set_priority, request)

    @action("/{incident_id}/snooze", summary="Pause paging for a while")
    async def snooze(incident_id: str, user: User, body: SnoozeBody) -> ActionResult:
        """Acknowledges a triggered incident; nothing pages until the snooze ends, then it is triggered again."""
        fields = {"by": user, "duration": body.duration} | ({"reason": body.reason} if body.reason else {})
        return await perform(incident_id, IncidentWorkflow.snooze, SnoozeRequest.model_validate(fields))

    return router
