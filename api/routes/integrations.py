"""Monitoring integrations: Prometheus Alertmanager webhooks and the PagerDuty Events API v2, unchanged.

- ``POST /v1/integrations/alertmanager`` with ``Authorization: Bearer <key>`` (Alertmanager's
  ``http_config.authorization``), or the key in the URL: ``/v1/integrations/alertmanager/<key>`` (or ``?key=``).
  One incident per alert group; a notification whose alerts are all resolved resolves it (``auto_resolve_alerts``)
  and is ignored when no incident is open for the group. 202 when it opened an incident, 200 when folded or
  ignored.
- ``POST /v1/integrations/pagerduty/enqueue`` and ``POST /v2/enqueue`` (a PagerDuty client only changes its base
  URL): the event's ``routing_key`` must be the key of a ``pagerduty`` integration. Answers as PagerDuty does:
  202 ``{"status": "success", ...}``; 400 ``{"status": "invalid event", ..., "errors": [...]}`` for an invalid event
  and for a routing key that matches no integration (``"Invalid routing key"``, PagerDuty's 400 for unknown keys).
  An acknowledge or resolve for a key without an open incident (never opened, resolved, closed), or one the
  incident refuses, is accepted and ignored (202, as PagerDuty does; the ``message`` says it was ignored). Neither
  ever opens an incident; nor does an Alertmanager notification whose alerts are all resolved (200,
  ``"ignored": "..."``) whatever state the group's last incident is in (``runtime.triggers``).
"""

import asyncio
import json
import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter, ValidationError

from adapters.incident_client import act
from adapters.keyed_triggers import find_open_incident
from adapters.settings import Integration, IntegrationKind
from api.auth import bearer_token, integration
from api.errors import unusable
from api.gateway import Gateway, bounded
from api.openapi import BEARER, CREDENTIALS, EVERY_REQUEST, JSON_BODY, TEMPORAL, errors
from api.routes.incidents import ANSWER_WAIT_SECONDS
from domain.errors import ActionRefused, IncidentNotFound
from domain.intake.alertmanager import AlertmanagerWebhook, alertmanager_trigger
from domain.intake.pagerduty import (
    PagerDutyAction,
    PagerDutyEvent,
    PagerDutyTrigger,
    pagerduty_invalid_response,
    pagerduty_key,
    pagerduty_trigger,
    parse_pagerduty_event,
)
from domain.messages.actions import AcknowledgeRequest, ResolveRequest, TriggerRequest, TriggerResult
from domain.models import IncidentReport, Priority, Status
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
PAGERDUTY_NOTHING_OPEN = "Event processed; no incident is open for this dedup key, nothing was changed"
RESOLVED_BY_MONITORING = "not recorded: resolved by monitoring"
TRIGGER_REFUSED = "The key has had too many incidents, or its open incident refused the trigger"


class TriggerAnswer(BaseModel):
    """What a trigger did: the incident it opened or was folded into (None when it was ignored, and why)."""

    incident_id: str | None
    status: Status | None
    priority: Priority | None
    triggers: int
    opened: bool
    url: str | None
    ignored: str | None = None
    """Why nothing was done: set only when the notification reached no incident."""


NOTHING_OPEN = TriggerAnswer(
    incident_id=None,
    status=None,
    priority=None,
    triggers=0,
    opened=False,
    url=None,
    ignored="every alert of the notification is resolved and no incident is open for its group; nothing was opened",
)


class PagerDutyAnswer(BaseModel):
    status: str
    message: str
    dedup_key: str | None = None
    errors: list[str] | None = None


async def _trigger(gateway: Gateway, report: IncidentReport, trigger: TriggerRequest) -> TriggerResult | None:
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
            return unusable(f"the notification cannot be used: {error}", "body", str(error))
        result = await _trigger(gateway, report, trigger)
        if result is None:  # every alert resolved and no incident open for the group: nothing to do, nothing opened
            return JSONResponse(NOTHING_OPEN.model_dump(mode="json"), status_code=200)
        answer = TriggerAnswer(
            incident_id=result.incident_id,
            status=result.status,
            priority=result.priority,
            triggers=result.triggers,
            opened=result.opened,
            url=gateway.incident_url(result.incident_id),
        )
        return JSONResponse(answer.model_dump(mode="json"), status_code=202 if result.opened else 200)

    responses = errors(EVERY_REQUEST, JSON_BODY, CREDENTIALS, 409, TEMPORAL, _409=TRIGGER_REFUSED)
    responses[200] = {"model": TriggerAnswer, "description": "Folded into the open incident, or ignored (``ignored``)"}
    responses[202] = {"model": TriggerAnswer, "description": "Opened an incident"}

    @router.post(
        "/v1/integrations/alertmanager",
        responses=responses,
        summary="Alertmanager webhook (bearer key, or ?key=)",
        openapi_extra={"security": [*BEARER, {"alertmanagerKey": []}]},
    )
    async def alertmanager_webhook(payload: AlertmanagerWebhook, source: Alertmanager) -> JSONResponse:
        return await take_alerts(payload, source)

    @router.post(
        "/v1/integrations/alertmanager/{key}", responses=responses, summary="Alertmanager webhook (key in the URL)"
    )
    async def alertmanager_webhook_keyed(
        payload: AlertmanagerWebhook,
        source: Alertmanager,
        key: Annotated[str, Path(description="The Alertmanager integration's key (INCIDENTS_INTEGRATIONS)")],
    ) -> JSONResponse:
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
        message = await _act_for_monitoring(gateway, event, source)
        return JSONResponse({"status": "success", "message": message, "dedup_key": event.dedup_key}, status_code=202)

    pagerduty_body = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PagerDutyEvent"}}},
        }
    }
    pagerduty_responses = errors(EVERY_REQUEST, 409, TEMPORAL, _409=TRIGGER_REFUSED)
    pagerduty_responses[202] = {"model": PagerDutyAnswer, "description": "Accepted (the message says if ignored)"}
    pagerduty_responses[400] = {"model": PagerDutyAnswer, "description": "Invalid event or routing key, as PagerDuty"}
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


async def _act_for_monitoring(gateway: Gateway, event: PagerDutyAction, source: Integration) -> str:
    """Acknowledge or resolve the open incident for the event's key; nothing open, or a refusal, is ignored.

    Answers the ``message`` of the reply: what became of the event. It never opens an incident.
    """
    client = await gateway.temporal.get()
    incident_id = await find_open_incident(client, pagerduty_key(event, source.name))
    if incident_id is None:
        logger.info("pagerduty %s from %s: no open incident for its key; ignored", event.event_action, source.name)
        return PAGERDUTY_NOTHING_OPEN
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
    except IncidentNotFound:  # gone since it was found
        return PAGERDUTY_NOTHING_OPEN
    except ActionRefused as error:
        logger.info("pagerduty %s of %s from %s ignored: %s", event.event_action, incident_id, source.name, error)
        return f"{PAGERDUTY_ACCEPTED['message']}; ignored: {error}"
    return PAGERDUTY_ACCEPTED["message"]
