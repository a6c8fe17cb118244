"""Signed one-click links: GET shows what the link does, POST does it as the link's responder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.incident_client import get_status
from api.app import create_app
from domain.models import Status
from domain.signed_links import LinkAction, sign_link
from tests.support.gateway import API_KEY, PAYMENTS_REPORT, Api, bearer
from tests.support.links import SECRET, link
from workflows.incident import IncidentWorkflow


async def open_incident(api: Api) -> str:
    response = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
    assert response.status_code == 202
    incident_id: str = response.json()["incident_id"]
    return incident_id


async def test_get_shows_the_link_and_post_acknowledges_as_its_responder(api: Api) -> None:
    incident_id = await open_incident(api)
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    token = sign_link(SECRET, incident_id, LinkAction.ACKNOWLEDGE, "amara", expires_at)
    shown = await api.http.get(f"/v1/links/{token}")
    assert (shown.status_code, shown.json()) == (
        200,
        {
            "incident_id": incident_id,
            "action": "acknowledge",
            "responder": "amara",
            "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
        },
    )
    assert (shown.headers["Referrer-Policy"], shown.headers["Cache-Control"]) == ("no-referrer", "no-store")
    assert (await get_status(api.client, incident_id)).status is Status.TRIGGERED  # a GET changes nothing

    page = await api.http.get(f"/v1/links/{token}", headers={"Accept": "text/html"})
    assert (page.status_code, page.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert f"<title>Acknowledge {incident_id}?</title>" in page.text
    assert f"<p>{incident_id}: Payments failing for all users</p>" in page.text
    assert '<form method="post"><button type="submit">Acknowledge</button></form>' in page.text

    done = await api.http.post(f"/v1/links/{token}", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (done.status_code, done.json()) == (
        200,
        {"incident_id": incident_id, "status": "acknowledged", "priority": "P1", "assignee": "amara",
         "escalation_level": 1},
    )  # fmt: skip
    twice = await api.http.post(f"/v1/links/{token}", headers={"Accept": "text/html"})
    assert twice.status_code == 409
    assert "<p>cannot acknowledge: the incident is already acknowledged</p>" in twice.text


async def test_a_resolve_link_takes_the_forms_summary_and_root_cause(api: Api) -> None:
    incident_id = await open_incident(api)
    token = link(incident_id, LinkAction.RESOLVE, responder="bruno")
    page = await api.http.get(f"/v1/links/{token}", headers={"Accept": "text/html"})
    assert '<textarea name="summary"' in page.text and '<textarea name="root_cause"' in page.text

    done = await api.http.post(
        f"/v1/links/{token}",
        content=b"summary=failed+over&root_cause=expired+certificate",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert done.status_code == 200
    assert f"<p>{incident_id} is now resolved (resolve by bruno).</p>" in done.text
    record = await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert (record.resolved_by, record.resolution_summary, record.root_cause) == (
        "bruno",
        "failed over",
        "expired certificate",
    )


async def test_a_resolve_link_without_a_form_records_that_it_came_from_a_link(api: Api) -> None:
    incident_id = await open_incident(api)
    done = await api.http.post(f"/v1/links/{link(incident_id, LinkAction.RESOLVE)}")
    assert (done.status_code, done.json()["status"]) == (200, "resolved")
    record = await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert (record.resolved_by, record.resolution_summary, record.root_cause) == (
        "amara",
        "resolved from a signed link",
        "not recorded: resolved from a signed link",
    )


def tampered(token: str) -> str:
    payload, signature = token.split(".")
    return f"{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda incident_id: tampered(link(incident_id, LinkAction.ACKNOWLEDGE)), "link signature does not match"),
        (lambda incident_id: link(incident_id, LinkAction.ACKNOWLEDGE, secret=b"another-secret-" + b"x" * 32),
         "link signature does not match"),
        (lambda incident_id: link(incident_id, LinkAction.ACKNOWLEDGE).replace(".", ""), "link is malformed"),
        (lambda incident_id: "x" * 3000, "link is malformed"),
    ],
)  # fmt: skip
async def test_tampered_links_are_403_and_change_nothing(api: Api, make: object, message: str) -> None:
    incident_id = await open_incident(api)
    token = make(incident_id)  # type: ignore[operator]
    for method in ("GET", "POST"):
        response = await api.http.request(method, f"/v1/links/{token}")
        assert (response.status_code, response.json()) == (403, {"error": message})
        page = await api.http.request(method, f"/v1/links/{token}", headers={"Accept": "text/html"})
        assert (page.status_code, f"<p>{message}</p>" in page.text) == (403, True)
    assert (await get_status(api.client, incident_id)).status is Status.TRIGGERED


async def test_expired_links_are_403_with_when_they_expired(api: Api) -> None:
    incident_id = await open_incident(api)
    expires_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    token = sign_link(SECRET, incident_id, LinkAction.ACKNOWLEDGE, "amara", expires_at)
    message = f"link expired at {expires_at.strftime('%Y-%m-%d %H:%M:%S')} UTC"
    for method in ("GET", "POST"):
        response = await api.http.request(method, f"/v1/links/{token}")
        assert (response.status_code, response.json()) == (403, {"error": message})
    assert (await get_status(api.client, incident_id)).status is Status.TRIGGERED


async def test_a_link_to_an_unknown_incident_is_404(api: Api) -> None:
    token = link("INC-NOPE", LinkAction.ACKNOWLEDGE)
    for method in ("GET", "POST"):
        response = await api.http.request(method, f"/v1/links/{token}")
        assert (response.status_code, response.json()) == (404, {"error": "no incident 'INC-NOPE'"})


async def test_without_a_link_secret_links_are_404(api: Api, tmp_path: Path) -> None:
    app = create_app(api.settings.model_copy(update={"link_secret": None}), api.client)
    token = link("INC-NOPE", LinkAction.ACKNOWLEDGE)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as http:
        response = await http.post(f"/v1/links/{token}")
    assert (response.status_code, response.json()) == (
        404,
        {"error": "signed links are not enabled on this server (INCIDENTS_LINK_SECRET is not set)"},
    )


async def test_a_bad_form_is_refused(api: Api) -> None:
    incident_id = await open_incident(api)
    token = link(incident_id, LinkAction.RESOLVE)
    not_json = await api.http.post(f"/v1/links/{token}", content=b"{oops", headers={"Content-Type": "application/json"})
    assert (not_json.status_code, not_json.json()) == (
        400,
        {"error": "the body is not valid JSON: Expecting property name enclosed in double quotes (at character 1)"},
    )
    long = await api.http.post(f"/v1/links/{token}", json={"summary": "s" * 5001})
    assert (long.status_code, long.json()) == (
        422,
        {
            "error": "summary: String should have at most 5000 characters",
            "details": [{"field": "summary", "problem": "String should have at most 5000 characters"}],
        },
    )
    assert (await get_status(api.client, incident_id)).status is Status.TRIGGERED
