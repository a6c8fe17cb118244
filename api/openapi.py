"""The OpenAPI document as the API really answers: every status each route sends, with the body it sends.

Routes declare their statuses with ``errors(...)`` from the groups below, so the document and ``api.errors`` say
the same thing. ``install_openapi`` builds the document once, adds the bodies that routes parse themselves, the
security schemes, and drops FastAPI's own 422 (``{"detail": [...]}``), which this API never answers: its 422 is
``{"error": ..., "details": [{"field", "problem"}]}``.

405 is not listed on any operation: it is what a method the document does not list at a path gets (with ``Allow``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, TypeAdapter

from api.limits import MAX_BODY_BYTES


class FieldProblem(BaseModel):
    field: str
    """The field, dotted (``labels.region``, ``alerts.0.status``), or ``body``."""
    problem: str


class ErrorBody(BaseModel):
    """What went wrong, in words; never the request's secrets."""

    error: str


class InvalidBody(ErrorBody):
    """The request is invalid: the first problem in ``error``, every problem in ``details``."""

    details: list[FieldProblem]


EVERY_REQUEST = (408, 413)
"""What the body limits answer, whatever the route (``api.limits``)."""
JSON_BODY = (400, 415, 422)
CREDENTIALS = (401, 403)
TEMPORAL = (429, 502, 503, 504)
"""What a route that talks to Temporal answers when Temporal (or a worker) does not."""

_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "No credentials: send Authorization: Bearer <token>",
    403: "These credentials are not allowed here",
    404: "Not found",
    408: "The body did not arrive in time (INCIDENTS_API_BODY_TIMEOUT_SECONDS); the connection is closed",
    409: "The incident refused it; the error says why",
    413: f"The body is larger than {MAX_BODY_BYTES // 1024} KiB; the connection is closed",
    415: "The body is not declared as JSON: send Content-Type: application/json",
    422: "The request is invalid; details name every field and its problem",
    429: "Temporal is busy; retry after Retry-After seconds",
    502: "Temporal refused the request",
    503: "Temporal is unavailable; retry after Retry-After seconds",
    504: "No worker answered in time",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": 'Bearer realm="incidents"', "schema": {"type": "string"}}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "An integration key or a responder token"},
    "alertmanagerKey": {
        "type": "apiKey",
        "in": "query",
        "name": "key",
        "description": "An Alertmanager integration's key in the URL, for senders that cannot set a header",
    },
}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def errors(*groups: int | tuple[int, ...], html: bool = False, **described: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route for these error statuses (numbers or groups), each with its JSON body.

    ``described`` overrides a description by status (``_404="No incident with this id"``); ``html``: the route
    answers browsers (``Accept: text/html``) with a page instead.
    """
    statuses = sorted({status for group in groups for status in (group if isinstance(group, tuple) else (group,))})
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "model": InvalidBody if status == 422 else ErrorBody,
            "description": described.get(f"_{status}", _DESCRIPTIONS[status]),
        }
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        if html and status not in EVERY_REQUEST:
            response["content"] = {"text/html": {"schema": {"type": "string"}}}
        responses[status] = response
    return responses


def install_openapi(app: FastAPI, models: dict[str, TypeAdapter[Any]]) -> None:
    """Serve the document described above; ``models`` are bodies that routes parse themselves (``openapi_extra``
    refers to them by name)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            components = schema.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            for name, model in models.items():
                body = model.json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(body.pop("$defs", {}))
                schemas[name] = body
            _drop_fastapi_validation_errors(schema)
            components["securitySchemes"] = SECURITY_SCHEMES
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _drop_fastapi_validation_errors(schema: dict[str, Any]) -> None:
    """FastAPI adds ``422 HTTPValidationError`` to every operation with parameters that does not list a 422 itself;
    an operation that lists none answers none."""
    fastapi_422 = "#/components/schemas/HTTPValidationError"
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422", {})
            if answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") == fastapi_422:
                del operation["responses"]["422"]
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
