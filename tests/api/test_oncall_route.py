"""``GET /v1/oncall`` and ``/v1/oncall/{schedule}``: who is on call in the example catalog's schedules, over HTTP.

The example catalog: payments-primary rotates amara → bruno weekly, Monday 09:00 Europe/Berlin, from Monday
2026-11-02, with amara covering 24–27 Dec (local); incident-command follows the sun in UTC from 2026-01-05: kofi
07:00–19:00, lena 19:00–07:00. These routes never need Temporal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from adapters.catalog_file import LoadedCatalog
from api.app import create_app
from domain.policy.schedules import on_call_view
from tests.support.gateway import RESPONDERS, bearer, gateway_settings
from tests.support.settings import SHIPPED_CATALOG

AMARA, BRUNO = bearer(RESPONDERS["amara"]), bearer(RESPONDERS["bruno"])
PAYMENTS = {"schedule": "payments-primary", "name": "Payments primary", "time_zone": "Europe/Berlin"}
COMMAND = {"schedule": "incident-command", "name": "Incident command, follow the sun", "time_zone": "UTC"}
NOBODY = {"user": None, "layer": None, "override": None, "reason": None, "decided_by": "nobody on call"}
HOLIDAY_COVER = {
    "user": "amara",
    "layer": None,
    "override": 0,
    "reason": "covers bruno's holidays",
    "decided_by": "override 0 (covers bruno's holidays)",
}


def weekly(user: str) -> dict[str, Any]:
    return {"user": user, "layer": "weekly", "override": None, "reason": None, "decided_by": "layer weekly"}


def follow_the_sun(user: str) -> dict[str, Any]:
    return {
        "user": user,
        "layer": "follow-the-sun",
        "override": None,
        "reason": None,
        "decided_by": "layer follow-the-sun",
    }


def times(at: str, until: str | None, until_local: str | None) -> dict[str, Any]:
    return {"at": at, "until": until, "until_local": until_local}


def no_temporal() -> Client:
    raise AssertionError("the on-call routes must not need Temporal")


@asynccontextmanager
async def serve(tmp_path: Path, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(gateway_settings(tmp_path, **settings), no_temporal)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as http:
        yield http


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(tmp_path) as client:
        yield client


def catalog_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return path


async def test_every_schedule_at_a_local_time(http: httpx.AsyncClient) -> None:
    # 09:00 in each schedule's own zone: Berlin 08:00 UTC (amara covers bruno's week), UTC 09:00 (kofi).
    response = await http.get("/v1/oncall", params={"at": "2026-12-24T09:00"}, headers=AMARA)
    assert (response.status_code, response.json()) == (
        200,
        {
            "schedules": [
                COMMAND
                | follow_the_sun("kofi")
                | times("2026-12-24T09:00:00Z", "2026-12-24T19:00:00Z", "2026-12-24T19:00:00+00:00"),
                PAYMENTS
                | HOLIDAY_COVER
                | times("2026-12-24T08:00:00Z", "2026-12-27T08:00:00Z", "2026-12-27T09:00:00+01:00"),
            ]
        },
    )


async def test_every_schedule_at_an_instant(http: httpx.AsyncClient) -> None:
    # Any responder's token will do, as for GET /v1/incidents/{id}.
    response = await http.get("/v1/oncall", params={"at": "2026-11-30T19:00:00Z"}, headers=BRUNO)
    assert (response.status_code, response.json()) == (
        200,
        {
            "schedules": [
                COMMAND
                | follow_the_sun("lena")
                | times("2026-11-30T19:00:00Z", "2026-12-01T07:00:00Z", "2026-12-01T07:00:00+00:00"),
                PAYMENTS
                | weekly("amara")
                | times("2026-11-30T19:00:00Z", "2026-12-07T08:00:00Z", "2026-12-07T09:00:00+01:00"),
            ]
        },
    )


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Before the first shift: a gap until the layer starts.
        (
            "2026-11-02T08:59",
            NOBODY | times("2026-11-02T07:59:00Z", "2026-11-02T08:00:00Z", "2026-11-02T09:00:00+01:00"),
        ),
        # The handoff: bruno until Monday 09:00 Berlin, amara from then on, whatever offset the instant is written in.
        (
            "2026-11-30T07:59:00Z",
            weekly("bruno") | times("2026-11-30T07:59:00Z", "2026-11-30T08:00:00Z", "2026-11-30T09:00:00+01:00"),
        ),
        (
            "2026-11-30T08:59",
            weekly("bruno") | times("2026-11-30T07:59:00Z", "2026-11-30T08:00:00Z", "2026-11-30T09:00:00+01:00"),
        ),
        (
            "2026-11-30T09:00:00+01:00",
            weekly("amara") | times("2026-11-30T08:00:00Z", "2026-12-07T08:00:00Z", "2026-12-07T09:00:00+01:00"),
        ),
        # bruno's week, until amara's override starts on the 24th at 09:00 Berlin.
        (
            "2026-12-21T12:00Z",
            weekly("bruno") | times("2026-12-21T12:00:00Z", "2026-12-24T08:00:00Z", "2026-12-24T09:00:00+01:00"),
        ),
        # The override, from its first minute to its last.
        (
            "2026-12-24T09:00",
            HOLIDAY_COVER | times("2026-12-24T08:00:00Z", "2026-12-27T08:00:00Z", "2026-12-27T09:00:00+01:00"),
        ),
        (
            "2026-12-27T08:59",
            HOLIDAY_COVER | times("2026-12-27T07:59:00Z", "2026-12-27T08:00:00Z", "2026-12-27T09:00:00+01:00"),
        ),
        (
            "2026-12-27T09:00",
            weekly("bruno") | times("2026-12-27T08:00:00Z", "2026-12-28T08:00:00Z", "2026-12-28T09:00:00+01:00"),
        ),
        # A date alone is midnight local time.
        (
            "2026-12-24",
            weekly("bruno") | times("2026-12-23T23:00:00Z", "2026-12-24T08:00:00Z", "2026-12-24T09:00:00+01:00"),
        ),
    ],
)
async def test_one_schedule(http: httpx.AsyncClient, at: str, expected: dict[str, Any]) -> None:
    response = await http.get("/v1/oncall/payments-primary", params={"at": at}, headers=AMARA)
    assert (response.status_code, response.json()) == (200, PAYMENTS | expected)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (
            "2026-11-30T06:59:59Z",
            follow_the_sun("lena") | times("2026-11-30T06:59:59Z", "2026-11-30T07:00:00Z", "2026-11-30T07:00:00+00:00"),
        ),
        (
            "2026-11-30T08:00:00+01:00",
            follow_the_sun("kofi") | times("2026-11-30T07:00:00Z", "2026-11-30T19:00:00Z", "2026-11-30T19:00:00+00:00"),
        ),
        (
            "2026-01-05T06:00",
            NOBODY | times("2026-01-05T06:00:00Z", "2026-01-05T07:00:00Z", "2026-01-05T07:00:00+00:00"),
        ),
    ],
)
async def test_follow_the_sun(http: httpx.AsyncClient, at: str, expected: dict[str, Any]) -> None:
    response = await http.get("/v1/oncall/incident-command", params={"at": at}, headers=AMARA)
    assert (response.status_code, response.json()) == (200, COMMAND | expected)


async def test_after_the_last_shift_nobody_is_on_call_and_nothing_changes(tmp_path: Path) -> None:
    text = SHIPPED_CATALOG.read_text()
    assert text.count("start: 2026-11-02") == 1
    ended = catalog_file(tmp_path, text.replace("start: 2026-11-02", "start: 2026-11-02\n        end: 2026-12-07"))
    async with serve(tmp_path, catalog_path=ended) as http:
        response = await http.get("/v1/oncall/payments-primary", params={"at": "2026-12-28T12:00Z"}, headers=AMARA)
        assert (response.status_code, response.json()) == (
            200,
            PAYMENTS | NOBODY | times("2026-12-28T12:00:00Z", None, None),
        )


async def test_without_at_it_is_now(http: httpx.AsyncClient, catalog: LoadedCatalog) -> None:
    response = await http.get("/v1/oncall/incident-command", headers=AMARA)
    assert response.status_code == 200
    at = datetime.fromisoformat(response.json()["at"])
    schedule = catalog.catalog.schedules["incident-command"]
    assert response.json() == on_call_view("incident-command", schedule, at).model_dump(mode="json")
    assert abs((datetime.now(at.tzinfo) - at).total_seconds()) < 60


async def test_a_catalog_without_schedules(tmp_path: Path) -> None:
    text = SHIPPED_CATALOG.read_text().replace("{schedule: incident-command}", "{team: incident-command}")
    path = catalog_file(tmp_path, text.split("\nschedules:\n")[0] + "\nservices:\n" + text.split("\nservices:\n")[1])
    async with serve(tmp_path, catalog_path=path) as http:
        response = await http.get("/v1/oncall", headers=AMARA)
        assert (response.status_code, response.json()) == (200, {"schedules": []})


@pytest.mark.parametrize("schedule", ["nights", "Payments-Primary", "x" * 300])
async def test_an_unknown_schedule_is_404(http: httpx.AsyncClient, schedule: str) -> None:
    response = await http.get(f"/v1/oncall/{schedule}", params={"at": "2026-12-24T09:00"}, headers=AMARA)
    assert (response.status_code, response.json()) == (404, {"error": f"no schedule {schedule!r}"})


def invalid_at(problem: str) -> dict[str, Any]:
    return {"error": f"the request is invalid: at: {problem}", "details": [{"field": "at", "problem": problem}]}


NOT_ISO = "is not an ISO 8601 time; write e.g. 2026-12-24T09:00 (each schedule's local time) or 2026-12-24T09:00+01:00"


@pytest.mark.parametrize(
    ("at", "problem"),
    [
        ("next monday", f"'next monday' {NOT_ISO}"),
        ("2026-13-01", f"'2026-13-01' {NOT_ISO}"),
        ("", f"'' {NOT_ISO}"),
        ("9999-12-31T23:00", "'9999-12-31T23:00' is too far in the past or the future to answer"),
        ("0001-01-01T00:00", "'0001-01-01T00:00' is too far in the past or the future to answer"),
        ("2026-12-24T09:00" + " " * 60, "String should have at most 64 characters"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/oncall", "/v1/oncall/payments-primary"])
async def test_a_bad_at_is_422_naming_it(http: httpx.AsyncClient, path: str, at: str, problem: str) -> None:
    response = await http.get(path, params={"at": at}, headers=AMARA)
    assert (response.status_code, response.json()) == (422, invalid_at(problem))


@pytest.mark.parametrize("path", ["/v1/oncall", "/v1/oncall/payments-primary", "/v1/oncall/nights"])
async def test_credentials_come_first(http: httpx.AsyncClient, path: str) -> None:
    missing = await http.get(path, params={"at": "next monday"})
    assert (missing.status_code, missing.json(), missing.headers["WWW-Authenticate"]) == (
        401,
        {"error": "missing credentials: send Authorization: Bearer <token>"},
        'Bearer realm="incidents"',
    )
    wrong = await http.get(path, params={"at": "next monday"}, headers=bearer("not-a-token"))
    assert (wrong.status_code, wrong.json()) == (403, {"error": "these credentials are not allowed here"})


async def test_without_a_catalog_the_routes_are_404(tmp_path: Path) -> None:
    async with serve(tmp_path, catalog_path=tmp_path / "missing.yaml") as http:
        for path in ("/v1/oncall", "/v1/oncall/payments-primary"):
            response = await http.get(path, headers=AMARA)
            assert (response.status_code, response.json()) == (
                404,
                {
                    "error": "on-call schedules are not available on this server: the catalog did not load "
                    "(INCIDENTS_CATALOG_PATH)"
                },
            )


async def test_only_get_is_allowed(http: httpx.AsyncClient) -> None:
    for path in ("/v1/oncall", "/v1/oncall/payments-primary"):
        response = await http.post(path, headers=AMARA)
        assert (response.status_code, response.json(), response.headers["Allow"]) == (
            405,
            {"error": "method POST is not allowed here; allowed: GET, HEAD"},
            "GET, HEAD",
        )
