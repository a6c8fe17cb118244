"""Monitoring integrations: Prometheus Alertmanager webhooks and the PagerDuty Events API v2, unchanged.

- ``POST /v1/integrations/alertmanager`` with ``Authorization: Bearer <key>`` (Alertmanager's
  ``http_config.authorization``), or the key in the URL: ``/v1/integrations/alertmanager/<key>`` (or ``?key=``).
  One incident per alert group; a notification whose alerts are all resolved resolves it (``auto_resolve_alerts``)
  and is ignored when no incident is open for the group. 202 when it opened an incident, 200 when folded.
- ``POST /v1/integrations/pagerduty/enqueue`` and ``POST /v2/enqueue`` (a PagerDuty client only changes its base
  URL): the event's ``routing_key`` must be the key of a ``pagerduty`` integration. Answers as PagerDuty does:
  202 ``{"status": "success", ...}``; 400 ``{"status": "invalid event", ..., "errors": [...]}`` for an invalid event
  and for a routing key that matches no integration (``"Invalid routing key"``, PagerDuty's 400 for unknown keys).
  An acknowledge or resolve for a key without an open incident, or one the incident refuses, is accepted and
  ignored (202), as PagerDuty does.
"""

import asyncio
import json
import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.auth import bearer_token, integration
from api.errors import problem
from api.gateway import Gateway, bounded
from api.routes_incidents import ANSWER_WAIT_SECONDS
from domain.errors import ActionRefused, IncidentNotFound
from domain.intake_alertmanager import AlertmanagerWebhook, alertmanager_trigger
from domain.intake_pagerduty import (
    PagerDutyAction,
    PagerDutyEvent,
    PagerDutyTrigger,
    pagerduty_invalid_response,
    pagerduty_key,
    pagerduty_trigger,
    parse_pagerduty_event,
)
from domain.models import IncidentReport, Priority, Status
from domain.requests import AcknowledgeRequest, ResolveRequest, TriggerRequest, TriggerResult
from runtime.incidents import act
from runtime.settings import Integration, IntegrationKind
from runtime.triggers import find_open_incident
from workflows.incident import IncidentWorkflow

logger = logging.getLogger("incidents.api")

TRIGGER_WAIT_SECONDS = 10.0
"""How long a trigger waits for a worker to take it; then 504, and the sender's retry folds into the incident."""
SELF_PARSED_BODIES: dict[str, TypeAdapter[Any]] = {"PagerDutyEvent": TypeAdapter(PagerDutyEvent)}
"""Bodies these routes parse themselves (to answer in PagerDuty's format), documented in the OpenAPI schema."""

PAGERDUTY_ACCEPTED = {"status": "success", "message": "Event processed"}
PAGERDUTY_UNPARSABLE = {
    "status": "Unrecognized object",
    "message": "Event object format is unrecognized",
    "errors": ["JSON parse error"],
}
PAGERDUTY_BAD_KEY = {"status": "invalid event", "message": "Event object is invalid", "errors": ["Invalid routing key"]}
RESOLVED_BY_MONITORING = "not recorded: resolved by monitoring"


class TriggerAnswer(BaseModel):
    """What a trigger did: the incident it opened or was folded into (None when it was ignored)."""

    incident_id: str | None
    status: Status | None
    priority: Priority | None
    triggers: int
    opened: bool
    url: str | None


class PagerDutyAnswer(BaseModel):
    status: str
    message: str
    dedup_key: str | None = None
    errors: list[str] | None = None


async def _trigger(gateway: Gateway, report: IncidentReport, trigger: TriggerRequest) -> TriggerResult:
    sender = await gateway.triggers()
    sending = sender.send(report, bounded(trigger), gateway.summary(report))
    return await asyncio.wait_for(sending, TRIGGER_WAIT_SECONDS)


def integrations_router(gateway: Gateway) -> APIRouter:
    router = APIRouter(tags=["integrations"])

    def alertmanager(request: Request) -> Integration:
        key = request.path_params.get("key") or request.query_params.get("key") or bearer_token(request)
        return integration(gateway.credentials, IntegrationKind.ALERTMANAGER, key)

    Alertmanager = Annotated[Integration, Depends(alertmanager)]

    async def take_alerts(payload: AlertmanagerWebhook, source: Integration) -> JSONResponse:
        try:
            report, trigger = alertmanager_trigger(
                payload, source.name, source.service, gateway.settings.auto_resolve_alerts
            )
        except ValidationError:
            raise
        except ValueError as error:  # e.g. "Maximum serialization depth exceeded" for absurdly nested extra fields
            return problem(422, f"the notification cannot be used: {error}")
        if trigger.alerts and not any(alert.firing for alert in trigger.alerts):
            open_incident = await find_open_incident(await gateway.temporal.get(), trigger.dedup_key)
            if open_incident is None:  # resolved alerts of a group without an open incident: nothing to do
                ignored = TriggerAnswer(
                    incident_id=None, status=None, priority=None, triggers=0, opened=False, url=None
                )
                return JSONResponse(ignored.model_dump(mode="json"), status_code=200)
        result = await _trigger(gateway, report, trigger)
        answer = TriggerAnswer(
            incident_id=result.incident_id,
            status=result.status,
            priority=result.priority,
            triggers=result.triggers,
            opened=result.opened,
            url=gateway.incident_url(result.incident_id),
        )
        return JSONResponse(answer.model_dump(mode="json"), status_code=202 if result.opened else 200)

    responses: dict[int | str, dict[str, Any]] = {200: {"model": TriggerAnswer}, 202: {"model": TriggerAnswer}}

    @router.post("/v1/integrations/alertmanager", responses=responses, summary="Alertmanager webhook (bearer key)")
    async def alertmanager_webhook(payload: AlertmanagerWebhook, source: Alertmanager) -> JSONResponse:
        return await take_alerts(payload, source)

    @router.post(
        "/v1/integrations/alertmanager/{key}", responses=responses, summary="Alertmanager webhook (key in the URL)"
    )
    async def alertmanager_webhook_keyed(payload: AlertmanagerWebhook, source: Alertmanager) -> JSONResponse:
        return await take_alerts(payload, source)

    async def enqueue(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep to parse
            return JSONResponse(PAGERDUTY_UNPARSABLE, status_code=400)
        try:
            event = parse_pagerduty_event(body)
        except ValidationError as error:
            return JSONResponse(pagerduty_invalid_response(error), status_code=400)
        source = gateway.credentials.integration(event.routing_key, IntegrationKind.PAGERDUTY)
        if source is None:
            return JSONResponse(PAGERDUTY_BAD_KEY, status_code=400)
        if isinstance(event, PagerDutyTrigger):
            generated = uuid.uuid4().hex
            try:
                report, trigger = pagerduty_trigger(event, source.name, source.service, generated)
            except ValidationError as error:
                return JSONResponse(pagerduty_invalid_response(error), status_code=400)
            except (ValueError, RecursionError) as error:  # e.g. custom_details nested too deeply to serialize
                unusable = {"status": "invalid event", "message": "Event object is invalid", "errors": [str(error)]}
                return JSONResponse(unusable, status_code=400)
            await _trigger(gateway, report, trigger)
            return JSONResponse(PAGERDUTY_ACCEPTED | {"dedup_key": event.dedup_key or generated}, status_code=202)
        await _act_for_monitoring(gateway, event, source)
        return JSONResponse(PAGERDUTY_ACCEPTED | {"dedup_key": event.dedup_key}, status_code=202)

    pagerduty_body = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PagerDutyEvent"}}},
        }
    }
    pagerduty_responses: dict[int | str, dict[str, Any]] = {
        202: {"model": PagerDutyAnswer, "description": "Accepted"},
        400: {"model": PagerDutyAnswer, "description": "Invalid event or routing key"},
    }
    for path, name in (("/v1/integrations/pagerduty/enqueue", "pagerduty_enqueue"), ("/v2/enqueue", "v2_enqueue")):
        router.add_api_route(
            path,
            enqueue,
            methods=["POST"],
            status_code=202,
            response_class=JSONResponse,
            responses=pagerduty_responses,
            openapi_extra=pagerduty_body,
            operation_id=name,
            summary="PagerDuty Events API v2 event",
        )
    return router


async def _act_for_monitoring(gateway: Gateway, event: PagerDutyAction, source: Integration) -> None:
    """Acknowledge or resolve the open incident for the event's key; nothing open, or a refusal, is ignored."""
    client = await gateway.temporal.get()
    incident_id = await find_open_incident(client, pagerduty_key(event, source.name))
    if incident_id is None:
        logger.info("pagerduty %s from %s: no open incident for its key; ignored", event.event_action, source.name)
        return
    by = f"monitoring:{source.name}"
    update: Any
    request: BaseModel
    if event.event_action == "acknowledge":
        update, request = IncidentWorkflow.acknowledge, AcknowledgeRequest(by=by)
    else:
        request = ResolveRequest(by=by, summary=f"resolved by {source.name}", root_cause=RESOLVED_BY_MONITORING)
        update = IncidentWorkflow.resolve
    try:
        await asyncio.wait_for(act(client, incident_id, update, request), ANSWER_WAIT_SECONDS)
    except (ActionRefused, IncidentNotFound) as error:
        logger.info("pagerduty %s of %s from %s ignored: %s", event.event_action, incident_id, source.name, error)
