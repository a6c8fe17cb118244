"""Every failure as a JSON body that names the problem; no stack traces, no 5xx for bad input.

==========================================  ======  ==============================================================
What went wrong                             Status  Body
==========================================  ======  ==============================================================
body is not JSON                            400     ``{"error": "the body is not valid JSON: ..."}``
body not declared as JSON (Content-Type)    415     ``{"error": "the body must be JSON, sent with ..."}``
body or query fails validation              422     ``{"error": "...", "details": [{"field", "problem"}, ...]}``
body over the limit                         413     ``{"error": "the body is larger than 512 KiB"}`` (``limits``)
body too slow to arrive                     408     ``{"error": "the body did not arrive within 10 s"}`` (``limits``)
no credentials / wrong credentials          401/403 ``{"error": ...}``, 401 with ``WWW-Authenticate: Bearer``
unknown incident, schedule or route         404     ``{"error": ...}`` (also: on-call asked with no catalog loaded);
                                                    an unknown route's never repeats the path (it may hold a key)
method not allowed                          405     ``{"error": ...}`` with ``Allow``
the incident refused the action             409     ``{"error": "<the workflow's reason>"}``
Temporal unreachable                        503     ``{"error": "Temporal is unavailable; retry"}``, ``Retry-After``
no worker answered in time                  504     ``{"error": "no worker answered in time; ..."}``
==========================================  ======  ==============================================================

The PagerDuty routes answer in PagerDuty's own error format instead (``routes.integrations``). ``api.openapi``
documents these bodies (``ErrorBody``, ``InvalidBody``) on every operation that can answer them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from temporalio.client import (
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import (
    ActionRefused,
    ArchiveOutdated,
    ArchiveUnavailable,
    IncidentNotFound,
    InvalidCursor,
    TemporalUnavailable,
)

TEMPORAL_UNAVAILABLE = "Temporal is unavailable; retry"
RETRY_AFTER_SECONDS = 5
NO_ANSWER = "no worker answered in time; is a worker running on the incident's task queue? (incidents worker)"
NOT_DECLARED_JSON = "the body must be JSON, sent with Content-Type: application/json"
NO_SUCH_ROUTE = "no such route: see /docs for the routes this API serves"
logger = logging.getLogger(__name__)
_CONNECT_FAILED = "Failed client connect"
"""How temporalio's lazy client reports a server it cannot reach (a RuntimeError)."""


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def temporal_unavailable() -> JSONResponse:
    return problem(503, TEMPORAL_UNAVAILABLE, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def is_unreachable(error: BaseException) -> bool:
    """Temporal could not be reached: a failed (lazy) connect, or an RPC answered UNAVAILABLE."""
    if isinstance(error, TemporalUnavailable):
        return True
    if isinstance(error, RPCError):
        return error.status == RPCStatusCode.UNAVAILABLE
    return isinstance(error, RuntimeError) and str(error).startswith(_CONNECT_FAILED)


def field_problems(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic's errors as ``{"field": "impact", "problem": "Input should be ..."}``, without the input's value."""
    details = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header"):
            location = location[1:] or [location[0]]
        details.append({"field": ".".join(location) or "body", "problem": str(error.get("msg", "invalid"))})
    return details


def invalid(errors: Sequence[Any]) -> JSONResponse:
    details = field_problems(errors)
    first = details[0] if details else {"field": "body", "problem": "invalid"}
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    message = f"the request is invalid: {first['field']}: {first['problem']}{more}"
    return JSONResponse({"error": message, "details": details}, status_code=422)


def unusable(message: str, field: str, reason: str) -> JSONResponse:
    """422 for input that validated but still cannot be used, in the same shape as every other 422."""
    return JSONResponse({"error": message, "details": [{"field": field, "problem": reason}]}, status_code=422)


def not_json(errors: Sequence[Any]) -> JSONResponse | None:
    """400 for a body that does not parse as JSON at all; None when the body is JSON."""
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "JSON decode error")
            position = error.get("loc", ("body", 0))[-1]
            return problem(400, f"the body is not valid JSON: {reason} (at character {position})")
    return None


async def _http_exception(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    message = str(error.detail)
    if error.status_code == 400 and message == "There was an error parsing the body":  # FastAPI's words
        message = "the body is not valid JSON: it is not UTF-8, or it is nested too deeply"
    elif error.status_code == 404 and message == "Not Found":
        message = NO_SUCH_ROUTE  # never the path: it may hold an Alertmanager key or a link token
    elif error.status_code == 405 and message == "Method Not Allowed":
        allowed = _allowed_methods(request)
        message = f"method {request.method} is not allowed here; allowed: {allowed}"
        return problem(405, message, {"Allow": allowed})
    return problem(error.status_code, message, dict(error.headers or {}))


def _allowed_methods(request: Request) -> str:
    """Every method the API documents at this path (Starlette's own 405 names only the first route's)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods.update(method.upper() for method in operations)
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


async def _request_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = error.errors()
    if any(tuple(item.get("loc", ())) == ("body",) and isinstance(item.get("input"), bytes) for item in errors):
        # FastAPI parses a body as JSON only when its Content-Type says so (a guard against cross-site forms).
        return problem(415, NOT_DECLARED_JSON)
    return not_json(errors) or invalid(errors)


async def _validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ValidationError)
    return invalid(error.errors())


async def _not_found(request: Request, error: Exception) -> JSONResponse:
    return problem(404, str(error))


async def _refused(request: Request, error: Exception) -> JSONResponse:
    return problem(409, str(error))


async def _no_answer(request: Request, error: Exception) -> JSONResponse:
    return problem(504, NO_ANSWER)


async def _temporal(request: Request, error: Exception) -> JSONResponse:
    if is_unreachable(error):
        return temporal_unavailable()
    if isinstance(error, RPCError):
        if error.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            return problem(504, NO_ANSWER)
        if error.status == RPCStatusCode.RESOURCE_EXHAUSTED:
            return problem(429, "Temporal is busy; retry", {"Retry-After": str(RETRY_AFTER_SECONDS)})
        return problem(502, f"Temporal refused the request: {error.message}")
    raise error


async def _archive_unavailable(request: Request, error: Exception) -> JSONResponse:
    """The archive's database is down or behind its schema: closed incidents cannot be read now; retry."""
    return problem(503, str(error), {"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _bad_cursor(request: Request, error: Exception) -> JSONResponse:
    return problem(400, str(error))


async def _incident_failed(request: Request, error: Exception) -> JSONResponse:
    """The incident could not answer a query, or an update failed for a reason that is no refusal."""
    cause = getattr(error, "cause", None)
    return problem(502, f"the incident could not answer: {cause or error}")


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    """Anything else: a JSON 500 that names no internals (the error itself goes to the log)."""
    route = getattr(request.scope.get("route"), "path", "an unknown route")  # the template: no key or token in it
    logger.error("unexpected error on %s %s", request.method, route, exc_info=error)
    return problem(500, "internal error; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(ValidationError, _validation)
    app.add_exception_handler(IncidentNotFound, _not_found)
    app.add_exception_handler(ActionRefused, _refused)
    app.add_exception_handler(TimeoutError, _no_answer)
    app.add_exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError, _no_answer)
    app.add_exception_handler(TemporalUnavailable, _temporal)
    app.add_exception_handler(RPCError, _temporal)
    app.add_exception_handler(ArchiveUnavailable, _archive_unavailable)
    app.add_exception_handler(ArchiveOutdated, _archive_unavailable)
    app.add_exception_handler(InvalidCursor, _bad_cursor)
    app.add_exception_handler(WorkflowQueryFailedError, _incident_failed)
    app.add_exception_handler(WorkflowUpdateFailedError, _incident_failed)
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(RPCError, _temporal)
    app.add_exception_handler(RuntimeError, _temporal)
