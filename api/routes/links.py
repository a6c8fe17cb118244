"""``/v1/links/{token}``: the one-click acknowledge/resolve links of notifications.

``GET`` only shows what the link would do (mail scanners and link previews follow GETs), with a form that POSTs
back; ``POST`` does it, as the responder the link was signed for. A tampered, malformed or expired link is 403
with the reason. Browsers (``Accept: text/html``) get small HTML pages; other clients get JSON.
"""

import asyncio
import html
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from adapters.incident_client import act, get_status
from api.errors import field_problems
from api.gateway import Gateway
from api.openapi import EVERY_REQUEST, TEMPORAL, errors
from api.routes.incidents import ANSWER_WAIT_SECONDS, checked_id
from domain.errors import ActionRefused, IncidentNotFound, LinkError
from domain.messages.actions import AcknowledgeRequest, ActionResult, ResolveRequest
from domain.signed_links import LinkAction, LinkClaims, verify_link
from workflows.incident import IncidentWorkflow

DISABLED = "signed links are not enabled on this server (INCIDENTS_LINK_SECRET is not set)"
DEFAULT_SUMMARY = "resolved from a signed link"
DEFAULT_ROOT_CAUSE = "not recorded: resolved from a signed link"
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never send it on as a Referer
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


class LinkBody(BaseModel):
    """Optional fields of the confirmation form (resolve only)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    summary: str | None = Field(default=None, max_length=5_000)
    root_cause: str | None = Field(default=None, max_length=5_000)


class LinkView(BaseModel):
    incident_id: str
    action: LinkAction
    responder: str
    expires_at: datetime


LINK_ERRORS = {
    "_403": "The link is malformed, tampered with or expired",
    "_404": "Links are not enabled on this server, or the incident is gone",
}
SHOW_RESPONSES = errors(EVERY_REQUEST, 403, 404, TEMPORAL, html=True, **LINK_ERRORS)
SHOW_RESPONSES[200] = {"content": {"text/html": {"schema": {"type": "string"}}}}
PERFORM_RESPONSES = errors(EVERY_REQUEST, 400, 403, 404, 409, 422, TEMPORAL, html=True, **LINK_ERRORS)
PERFORM_RESPONSES[200] = {"content": {"text/html": {"schema": {"type": "string"}}}}
LINK_FORM = {
    "requestBody": {
        "required": False,
        "content": {
            media: {"schema": {"$ref": "#/components/schemas/LinkBody"}}
            for media in ("application/x-www-form-urlencoded", "application/json")
        },
    }
}
"""The confirmation form posts ``summary`` and ``root_cause`` (resolve only); a JSON body may carry the same."""
SELF_PARSED_BODIES: dict[str, TypeAdapter[Any]] = {"LinkBody": TypeAdapter(LinkBody)}


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _page(title: str, body: str, status: int) -> HTMLResponse:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
        "textarea{width:100%}button{font-size:1.1rem;padding:.5rem 1.5rem}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=_HEADERS)


def _answer(request: Request, status: int, title: str, message: str, data: dict[str, Any]) -> Response:
    if _wants_html(request):
        return _page(title, f"<p>{html.escape(message)}</p>", status)
    return JSONResponse(data, status_code=status, headers=_HEADERS)


def _error(request: Request, status: int, message: str) -> Response:
    return _answer(request, status, "This link cannot be used", message, {"error": message})


def _form(claims: LinkClaims, title: str) -> str:
    what = f"{claims.action.value} {claims.incident_id}"
    fields = ""
    if claims.action is LinkAction.RESOLVE:
        fields = (
            '<p><label>Summary<br><textarea name="summary" rows="2" maxlength="5000"></textarea></label></p>'
            '<p><label>Root cause<br><textarea name="root_cause" rows="2" maxlength="5000"></textarea></label></p>'
        )
    return (
        f"<p>{html.escape(claims.incident_id)}: {html.escape(title)}</p>"
        f"<p>You are about to <strong>{html.escape(what)}</strong> as <strong>{html.escape(claims.responder)}"
        f"</strong>. The link expires at {html.escape(claims.expires_at.isoformat())}.</p>"
        f'<form method="post">{fields}<button type="submit">{html.escape(claims.action.value.capitalize())}'
        "</button></form>"
    )


async def _read_body(request: Request) -> LinkBody:
    raw = await request.body()
    if not raw.strip():
        return LinkBody()
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        data: Any = dict(parse_qsl(raw.decode("utf-8", errors="replace")))
    else:
        data = json.loads(raw)
    return LinkBody.model_validate(data)


def links_router(gateway: Gateway) -> APIRouter:
    router = APIRouter(prefix="/v1/links", tags=["links"])

    def claims_for(token: str, request: Request) -> LinkClaims | Response:
        """The link's claims, or the error page: 404 when links are off, 403 when tampered or expired."""
        secrets = gateway.link_secrets
        if not secrets:
            return _error(request, 404, DISABLED)
        try:
            return verify_link(secrets, token, datetime.now(UTC))
        except LinkError as error:
            return _error(request, 403, str(error))

    @router.get(
        "/{token}",
        response_model=LinkView,
        summary="What a signed link does (confirmation page)",
        responses=SHOW_RESPONSES,
    )
    async def show(token: str, request: Request) -> Response:
        claims = claims_for(token, request)
        if isinstance(claims, Response):
            return claims
        try:
            client = await gateway.temporal.get()
            view = await asyncio.wait_for(get_status(client, checked_id(claims.incident_id)), ANSWER_WAIT_SECONDS)
        except IncidentNotFound as error:
            return _error(request, 404, str(error))
        if _wants_html(request):
            title = f"{claims.action.value.capitalize()} {claims.incident_id}?"
            return _page(title, _form(claims, view.title), 200)
        return JSONResponse(LinkView(**claims.model_dump()).model_dump(mode="json"), headers=_HEADERS)

    @router.post(
        "/{token}",
        response_model=ActionResult,
        summary="Do what a signed link says, as its responder",
        responses=PERFORM_RESPONSES,
        openapi_extra=LINK_FORM,
    )
    async def perform(token: str, request: Request) -> Response:
        claims = claims_for(token, request)
        if isinstance(claims, Response):
            return claims
        try:
            body = await _read_body(request)
        except json.JSONDecodeError as error:
            return _error(request, 400, f"the body is not valid JSON: {error.msg} (at character {error.pos})")
        except UnicodeDecodeError:
            return _error(request, 400, "the body is not valid JSON: it is not UTF-8")
        except RecursionError:
            return _error(request, 400, "the body is not valid JSON: it is nested too deeply")
        except ValidationError as error:
            details = field_problems(error.errors())
            message = "; ".join(f"{item['field']}: {item['problem']}" for item in details)
            return _answer(request, 422, "Invalid input", message, {"error": message, "details": details})
        request_model: AcknowledgeRequest | ResolveRequest
        if claims.action is LinkAction.ACKNOWLEDGE:
            update: Any = IncidentWorkflow.acknowledge
            request_model = AcknowledgeRequest(by=claims.responder)
        else:
            update = IncidentWorkflow.resolve
            request_model = ResolveRequest(
                by=claims.responder,
                summary=body.summary or DEFAULT_SUMMARY,
                root_cause=body.root_cause or DEFAULT_ROOT_CAUSE,
            )
        client = await gateway.temporal.get()
        try:
            incident_id = checked_id(claims.incident_id)
            result = await asyncio.wait_for(act(client, incident_id, update, request_model), ANSWER_WAIT_SECONDS)
        except IncidentNotFound as error:
            return _error(request, 404, str(error))
        except ActionRefused as error:
            return _error(request, 409, str(error))
        message = f"{result.incident_id} is now {result.status.value} ({claims.action.value} by {claims.responder})."
        return _answer(request, 200, "Done", message, result.model_dump(mode="json"))

    return router
