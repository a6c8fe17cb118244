"""The OpenAPI document describes what the API really does: every status of every route, the real error bodies,
the ``key`` path parameter; and schemathesis, driven by that document against the running app (worker and dev
server behind it), finds no 5xx and no answer the document does not describe.

The schemathesis run is small and reproducible: derandomized, a fixed number of examples per operation, no
example database. Its requests go through the test's own HTTP client (ASGI, the test's event loop, where the
worker runs too), while Hypothesis generates them in a thread.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from domain.signed_links import LinkAction
from tests.support.gateway import ALERTMANAGER_KEY, API_KEY, PAYMENTS_REPORT, RESPONDERS, Api, bearer, gateway_settings
from tests.support.links import link

TEMPORAL = ["429", "502", "503", "504"]
BODY = ["408", "413"]
JSON_BODY = ["400", "415", "422"]
CREDENTIALS = ["401", "403"]
ACTION = sorted(["200", *BODY, *JSON_BODY, *CREDENTIALS, "404", "409", *TEMPORAL])
ALERTMANAGER = sorted(["200", "202", *BODY, *JSON_BODY, *CREDENTIALS, "409", *TEMPORAL])
PAGERDUTY = sorted(["202", "400", *BODY, "409", *TEMPORAL])
STATUSES = {
    ("post", "/v1/incidents"): sorted(["202", *BODY, *JSON_BODY, *CREDENTIALS, "409", *TEMPORAL]),
    ("get", "/v1/incidents"): sorted(["200", "400", *BODY, *CREDENTIALS, "422", *TEMPORAL]),
    ("get", "/v1/incidents/{incident_id}"): sorted(["200", *BODY, *CREDENTIALS, "404", *TEMPORAL]),
    **{
        ("post", f"/v1/incidents/{{incident_id}}/{action}"): ACTION
        for action in (
            "acknowledge",
            "resolve",
            "reopen",
            "roles",
            "review",
            "review/complete",
            "actions",
            "actions/{number}/done",
            "actions/{number}/defer",
            "close",
            "repolicy",
            "updates",
            "subscribe",
            "notes",
            "escalate",
            "reassign",
            "priority",
            "snooze",
        )
    },
    ("post", "/v1/integrations/alertmanager"): ALERTMANAGER,
    ("post", "/v1/integrations/alertmanager/{key}"): ALERTMANAGER,
    ("post", "/v1/integrations/pagerduty/enqueue"): PAGERDUTY,
    ("post", "/v2/enqueue"): PAGERDUTY,
    ("get", "/v1/links/{token}"): sorted(["200", *BODY, "403", "404", *TEMPORAL]),
    ("post", "/v1/links/{token}"): sorted(["200", *BODY, "400", "403", "404", "409", "422", *TEMPORAL]),
    ("get", "/v1/oncall"): sorted(["200", *BODY, *CREDENTIALS, "404", "422"]),
    ("get", "/v1/oncall/{schedule}"): sorted(["200", *BODY, *CREDENTIALS, "404", "422"]),
}
EXAMPLES_PER_OPERATION = 12
"""Per operation and generation mode; the whole run stays well under a minute on the CI machine."""


def document(tmp_path: Path) -> dict[str, Any]:
    app = create_app(gateway_settings(tmp_path), lambda: None)  # type: ignore[arg-type, return-value]
    schema: dict[str, Any] = app.openapi()
    return schema


def test_every_operation_lists_every_status_it_answers(tmp_path: Path) -> None:
    paths = document(tmp_path)["paths"]
    listed = {
        (method, path): sorted(operation["responses"])
        for path, ops in paths.items()
        for method, operation in ops.items()
    }
    assert listed == STATUSES


def test_errors_are_documented_with_the_bodies_the_api_sends(tmp_path: Path) -> None:
    schema = document(tmp_path)
    text = json.dumps(schema)
    assert ("HTTPValidationError" in text, '"detail"' in text) == (False, False)
    components = schema["components"]["schemas"]
    assert (components["ErrorBody"]["required"], components["InvalidBody"]["required"]) == (
        ["error"],
        ["error", "details"],
    )
    assert components["FieldProblem"]["required"] == ["field", "problem"]
    report = schema["paths"]["/v1/incidents"]["post"]["responses"]
    assert report["422"]["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/InvalidBody"}}}
    assert report["409"]["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    assert report["503"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert report["401"]["headers"]["WWW-Authenticate"]["schema"] == {"type": "string"}
    pagerduty = schema["paths"]["/v2/enqueue"]["post"]["responses"]
    assert pagerduty["400"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/PagerDutyAnswer"}}
    }


def test_the_alertmanager_key_and_the_credentials_are_documented(tmp_path: Path) -> None:
    schema = document(tmp_path)
    keyed = schema["paths"]["/v1/integrations/alertmanager/{key}"]["post"]
    assert [(p["name"], p["in"], p["required"], p["schema"]["type"]) for p in keyed["parameters"]] == [
        ("key", "path", True, "string")
    ]
    assert "security" not in keyed  # the key in the path is the credential
    assert schema["paths"]["/v1/integrations/alertmanager"]["post"]["security"] == [
        {"bearer": []},
        {"alertmanagerKey": []},
    ]
    assert schema["paths"]["/v1/incidents/{incident_id}/resolve"]["post"]["security"] == [{"bearer": []}]
    assert schema["components"]["securitySchemes"]["alertmanagerKey"] | {"description": ""} == {
        "type": "apiKey",
        "in": "query",
        "name": "key",
        "description": "",
    }
    report = schema["components"]["schemas"]["ReportContent"]["properties"]
    assert ("reporter" in report, report["on_behalf_of"]["anyOf"][0]["maxLength"]) == (False, 200)


def credentials(method: str, path: str) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, path parameters) with which a generated request gets past authentication."""
    if path == "/v1/integrations/alertmanager/{key}":
        return {}, {"key": ALERTMANAGER_KEY}
    if path == "/v1/integrations/alertmanager":
        return bearer(ALERTMANAGER_KEY), {}
    if (method, path) == ("POST", "/v1/incidents"):
        return bearer(API_KEY), {}
    if path.startswith(("/v1/incidents", "/v1/oncall")):
        return bearer(RESPONDERS["amara"]), {}
    return {}, {}  # PagerDuty's key is in the body, a link's in its token


async def send(http: httpx.AsyncClient, kwargs: dict[str, Any]) -> httpx.Response:
    assert not kwargs.get("cookies")  # the API reads none
    data = kwargs.get("data")
    return await http.request(
        kwargs["method"],
        kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        json=kwargs.get("json"),
        data=data if isinstance(data, dict) else None,
        content=data if isinstance(data, bytes | str) else None,
    )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.timeout(120)
async def test_schemathesis_finds_no_5xx_and_nothing_undocumented(api: Api) -> None:
    schema = schemathesis.openapi.from_dict(api.app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(STATUSES)
    loop = asyncio.get_running_loop()
    opened = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
    incident_id = opened.json()["incident_id"]
    existing = {"incident_id": incident_id, "token": link(incident_id, LinkAction.ACKNOWLEDGE)}
    seen: dict[str, set[int]] = {}
    unnegatable: list[str] = []

    def run(operation: Any, mode: GenerationMode, fixed: dict[str, str]) -> None:
        headers, path_parameters = credentials(operation.method.upper(), operation.path)
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=(path_parameters | fixed) or None)

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case: Any) -> None:
            kwargs = case.as_transport_kwargs(base_url="http://gateway.test", headers=headers)
            response = asyncio.run_coroutine_threadsafe(send(api.http, kwargs), loop).result(timeout=60)
            seen.setdefault(operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:  # nothing of this operation can be made invalid (a GET whose parameters take any text)
            assert mode is GenerationMode.NEGATIVE, operation.label
            unnegatable.append(operation.label)

    def run_all() -> None:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run(operation, mode, {})
                # Generated ids and tokens find nothing; these reach a real incident (and may change it).
                real = {name: value for name, value in existing.items() if f"{{{name}}}" in operation.path}
                if real and mode is GenerationMode.POSITIVE:
                    run(operation, mode, real)

    started = loop.time()
    await asyncio.to_thread(run_all)
    took = loop.time() - started
    print(f"schemathesis: {len(operations)} operations in {took:.1f} s; statuses seen: {dict(sorted(seen.items()))}")
    print(f"no invalid requests to make for: {unnegatable}")
    assert set(seen) == {operation.label for operation in operations}
    assert not any(status >= 500 for statuses in seen.values() for status in statuses)
