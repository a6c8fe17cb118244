"""Whatever goes wrong behind a route, the answer is JSON naming the problem: never a plain-text 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.app import create_app
from tests.support.gateway import RESPONDERS, bearer, gateway_settings


class FailingHandle:
    def __init__(self, error: Exception) -> None:
        self._error = error

    async def query(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error


class FailingClient:
    """Stands in for the Temporal client: every query on every incident fails with ``error``."""

    def __init__(self, error: Exception) -> None:
        self._error = error
        self.namespace = "default"

    def get_workflow_handle(self, *args: Any, **kwargs: Any) -> FailingHandle:
        return FailingHandle(self._error)


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (
            RPCError("Blob data size exceeds limit.", RPCStatusCode.INVALID_ARGUMENT, b""),
            502,
            {"error": "Temporal refused the request: Blob data size exceeds limit."},
        ),
        (
            WorkflowQueryFailedError("query handler failed: boom"),
            502,
            {"error": "the incident could not answer: query handler failed: boom"},
        ),
        (
            RPCError("deadline", RPCStatusCode.DEADLINE_EXCEEDED, b""),
            504,
            {
                "error": "no worker answered in time; is a worker running on the incident's task queue? "
                "(incidents worker)"
            },
        ),
        (RuntimeError("something nobody expected"), 500, {"error": "internal error; it has been logged"}),
    ],
)
async def test_a_failing_query_is_a_json_error(
    tmp_path: Path, error: Exception, status: int, body: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    failing = FailingClient(error)
    app = create_app(gateway_settings(tmp_path), lambda: failing)  # type: ignore[arg-type,return-value]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        answer = await http.get("/v1/incidents/INC-ANY", headers=bearer(RESPONDERS["amara"]))
    assert (answer.status_code, answer.headers["content-type"], answer.json()) == (status, "application/json", body)
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    expected = ["unexpected error on GET /v1/incidents/{incident_id}"] if status == 500 else []
    assert [m for m in logged if m.startswith("unexpected error")] == expected
