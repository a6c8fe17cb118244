"""Thousands of malformed inputs at every edge: the CLI, the catalog file and the HTTP API.

Each edge answers with a message naming the problem (exit 2, ``ConfigError``, a 4xx with a JSON body), never a stack
trace or a 5xx, and nothing is started.
"""

from __future__ import annotations

import asyncio
import copy
import json
import string
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from adapters.catalog_file import load_catalog
from api.app import create_app
from domain.errors import ConfigError
from domain.models import IncidentReport, format_validation_error
from starter.cli import app
from tests.support.cli import clean_environment
from tests.support.gateway import API_KEY, PAYMENTS_REPORT, RESPONDERS, bearer, count_started, gateway_settings
from tests.support.settings import EXAMPLE_CATALOG

# ---- CLI: incidents report ------------------------------------------------------------------------------------

REQUIRED = ["title", "service", "category", "source", "impact", "urgency", "reporter"]
CHOICES = {
    "category": {"application_error", "server_downtime", "api_disruption", "broken_feature", "network_problem",
                 "third_party_integration"},
    "source": {"ticket", "monitoring", "internal"},
    "impact": {"all_users", "many_users", "some_users", "single_user"},
    "urgency": {"high", "medium", "low"},
}  # fmt: skip
VALID = dict(zip(REQUIRED, ["Payments failing", "shop-payments", "application_error", "monitoring", "all_users",
                            "high", "checkout-monitor"], strict=True))  # fmt: skip
CLOSED_TEMPORAL = "127.0.0.1:1"
ENVIRONMENT = clean_environment(TEMPORAL_ADDRESS=CLOSED_TEMPORAL)
"""Nothing listens there: a command that got past validation would fail to connect instead."""
USAGE = "Usage: root report [OPTIONS]\nTry 'root report --help' for help.\n\n"
BAD_WAIT = "Error: Invalid value for '--wait': Input should be a valid number, unable to parse string as a number\n"

words = st.text(max_size=20)


def not_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


def model_refusal(options: dict[str, str]) -> str:
    """What ``IncidentReport`` says about the report these options make: the CLI prints exactly that."""
    try:
        IncidentReport.model_validate({name.replace("-", "_"): value for name, value in options.items()})
    except ValidationError as error:
        return format_validation_error(error)
    raise AssertionError(f"the options make a valid report: {options}")


@st.composite
def report_arguments(draw: st.DrawFn) -> tuple[list[str], str, str]:
    """Arguments for ``incidents report`` with at least one certain problem, the problem that is certain (named
    by the output), and the whole output."""
    options: dict[str, str] = dict(VALID)
    for name in draw(st.lists(st.sampled_from([*REQUIRED, "description", "dedup-key"]), unique=True, max_size=4)):
        options[name] = draw(words)  # random text: may or may not be valid
    missing = draw(st.lists(st.sampled_from(REQUIRED), unique=True, max_size=3))
    wrong = draw(st.lists(st.sampled_from(sorted(CHOICES)), unique=True, max_size=4))
    for name in wrong:
        options[name] = draw(words.filter(lambda text, name=name: text not in CHOICES[name]))
    for name in missing:
        options.pop(name)
    bad_label = draw(st.none() | words.filter(lambda text: "=" not in text))
    bad_wait = draw(st.none() | words.filter(not_a_number))
    if not (missing or wrong or bad_label is not None or bad_wait is not None):
        missing = [draw(st.sampled_from(REQUIRED))]
        options.pop(missing[0])
    arguments = ["report"]
    for name, value in draw(st.permutations(list(options.items()))):
        arguments += [f"--{name}", value]
    if bad_label is not None:
        arguments += ["--label", bad_label]
    if bad_wait is not None:
        arguments += ["--wait", bad_wait]
    # Typer parses --wait first, then labels are read, then the report is validated as a whole.
    if bad_wait is not None:
        return arguments, BAD_WAIT, USAGE + BAD_WAIT
    if bad_label is not None:
        refusal = f"error: labels: {bad_label!r} is not key=value\n"
        return arguments, refusal, refusal
    certain = f"{missing[0]}: Field required" if missing else f"{wrong[0]}: Input should be "
    return arguments, certain, f"error: {model_refusal(options)}\n"


CONNECT_LABEL = "error: labels: 'CONNECT' is not key=value\n"
"""A label a run once generated: the output named it, and a check for the word "connect" in the output broke."""


@settings(max_examples=300, deadline=None, database=None)
@given(case=report_arguments())
@example(
    case=(
        ["report", *(part for name, value in VALID.items() for part in (f"--{name}", value)), "--label", "CONNECT"],
        CONNECT_LABEL,
        CONNECT_LABEL,
    )
)
def test_malformed_report_arguments_exit_2_naming_the_problem_before_connecting(
    case: tuple[list[str], str, str],
) -> None:
    arguments, certain, output = case
    with mock.patch("starter.cli.report_and_classify") as connecting:
        result = CliRunner().invoke(app, arguments, env=ENVIRONMENT)
    assert (result.exit_code, result.output) == (2, output), arguments
    assert certain in output
    assert connecting.call_count == 0
    assert isinstance(result.exception, SystemExit)


# ---- The catalog file ----------------------------------------------------------------------------------------

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
EXAMPLE = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
yaml_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["0s", "-5m", "5", "5x", "1h30", "99999999999d", "P1", "nobody", "kofi", "shop-payments",
                      "payments-critical", "critical", "", "~", "[", "{a: 1}"])
)  # fmt: skip
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def paths_in(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside the catalog (mapping keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_in(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths_in(value, (*prefix, index))
    return found


EXAMPLE_PATHS = paths_in(EXAMPLE)


@st.composite
def mutated_catalogs(draw: st.DrawFn) -> str:
    data = copy.deepcopy(EXAMPLE)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(EXAMPLE_PATHS))
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]]  # an earlier mutation may have removed it
        except (KeyError, IndexError, TypeError):
            continue
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(yaml_values)
    text = yaml.dump(data, Dumper=DUMPER, allow_unicode=True)
    if draw(st.integers(min_value=0, max_value=4)) == 0:  # now and then, damage the YAML text itself
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.text(alphabet=string.printable, max_size=6)) + text[at:]
    return text


def test_mutated_catalogs_load_or_raise_config_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    outcomes = {"loaded": 0, "refused": 0}

    @settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text=mutated_catalogs())
    def check(text: str) -> None:
        path.write_text(text, encoding="utf-8")
        try:
            load_catalog(path)
        except ConfigError as error:
            assert str(error).startswith(f"{path}: "), str(error)
            assert "Traceback" not in str(error)
            outcomes["refused"] += 1
        else:
            outcomes["loaded"] += 1

    check()
    # Both outcomes happened: the mutations reach past the YAML parser into the schema and the references.
    assert outcomes["loaded"] > 0
    assert outcomes["refused"] > 0


# ---- HTTP: paths, query parameters, headers ------------------------------------------------------------------


@pytest.fixture
async def gateway(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The app with no worker on its task queue: anything started would stay there, counted."""
    settings = gateway_settings(tmp_path)
    transport = httpx.ASGITransport(app=create_app(settings, dev_env.client))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        yield http, settings.task_queue


ACTIONS = ["acknowledge", "resolve", "notes", "escalate", "reassign", "priority"]
AUTH = st.sampled_from([bearer(RESPONDERS["amara"]), bearer("token-zed-" + "9" * 20), bearer(API_KEY), {}]) | st.builds(
    lambda scheme, token: {"Authorization": f"{scheme} {token}"},
    st.sampled_from(["Bearer", "bearer", "Basic", "", "Token"]),
    st.text(alphabet=string.printable.strip(), max_size=40),
)
ids = (
    st.text(min_size=1, max_size=30)
    | st.from_regex(r"INC-[A-Z2-7]{10}", fullmatch=True)
    | st.sampled_from([".", "..", "INC-", "inc-abcdefghij"])
)
query_values = st.text(max_size=15) | st.sampled_from(["P1", "P9", "triggered", "open", "shop-payments", "a'b", "0",
                                                       "-1", "1001", "1e3", "' OR 1=1 --"])  # fmt: skip
queries = st.dictionaries(
    st.sampled_from(["status", "priority", "service", "team", "limit", "page", "status[]"]), query_values, max_size=5
)
content_types = (
    st.text(alphabet=string.printable.strip(), max_size=30)
    | st.sampled_from(
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"]
    )
).filter(lambda value: "json" not in value.lower())


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], dict[str, str], bytes]:
    """(method, path, query, headers, body) of a malformed request."""
    headers = draw(AUTH)
    kind = draw(st.sampled_from(["status", "action", "list", "report"]))
    incident = quote(draw(ids), safe="")
    if kind == "status":
        return "GET", f"/v1/incidents/{incident}", draw(queries), headers, b""
    if kind == "action":
        body = draw(st.sampled_from([b"", b"{}", b'{"by": "bruno"}', b"null", b"[", b'{"text": 1}']))
        content_type = draw(st.none() | content_types | st.just("application/json"))
        if content_type is not None:
            headers = headers | {"Content-Type": content_type}
        return "POST", f"/v1/incidents/{incident}/{draw(st.sampled_from(ACTIONS))}", {}, headers, body
    if kind == "list":
        return "GET", "/v1/incidents", draw(queries), headers, b""
    # A well-formed report under a Content-Type that is not JSON, with the reporter's key or not.
    headers = draw(st.just(bearer(API_KEY)) | AUTH) | {"Content-Type": draw(content_types)}
    return "POST", "/v1/incidents", draw(queries), headers, json.dumps(PAYMENTS_REPORT).encode()


async def test_malformed_paths_queries_and_headers_get_json_below_500_and_start_nothing(
    dev_env: WorkflowEnvironment, gateway: tuple[httpx.AsyncClient, str]
) -> None:
    http, task_queue = gateway
    loop = asyncio.get_running_loop()
    statuses: set[int] = set()

    async def send(
        method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> httpx.Response:
        return await http.request(method, path, params=query, headers=headers, content=body)

    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(request=requests())
    def check(request: tuple[str, str, dict[str, str], dict[str, str], bytes]) -> None:
        response = asyncio.run_coroutine_threadsafe(send(*request), loop).result(timeout=60)
        assert response.status_code < 500, (request, response.status_code, response.text)
        assert response.headers["Content-Type"] == "application/json", (request, response.headers)
        assert isinstance(response.json(), dict), (request, response.text)
        statuses.add(response.status_code)

    await asyncio.to_thread(check)
    assert {401, 404, 422} <= statuses, statuses
    assert await count_started(dev_env.client, task_queue) == 0
