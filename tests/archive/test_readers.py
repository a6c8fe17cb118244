"""Who reads the archive: the closed list (a page at a time), full-text search and the status of a closed incident
whose history Temporal no longer keeps, over HTTP and on the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import URL
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from adapters.archive import ArchiveRepository
from api.app import create_app
from domain.views.record import IncidentRecord, status_from_record
from tests.support.archive import closed
from tests.support.cli import clean_environment, incidents
from tests.support.gateway import API_KEY, PAYMENTS_REPORT, RESPONDERS, bearer, gateway_settings
from tests.support.workers import worker_for

AMARA = bearer(RESPONDERS["amara"])


def url_text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture
def archived(repository: ArchiveRepository) -> ArchiveRepository:
    """Three closed incidents: INC-1 and INC-3 of the shop, INC-2 a connection pool exhausted on the dashboard."""
    repository.archive(closed(1))
    repository.archive(closed(2, service="saas-dashboard", team="dashboards", root_cause="connection pool exhausted"))
    repository.archive(closed(3))
    return repository


@pytest.fixture
async def gateway(dev_env: WorkflowEnvironment, archive_url: URL, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings(tmp_path, database_url=url_text(archive_url))
    transport = httpx.ASGITransport(app=create_app(settings, dev_env.client))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        yield http


async def test_the_closed_list_a_page_at_a_time(archived: ArchiveRepository, gateway: httpx.AsyncClient) -> None:
    first = await gateway.get("/v1/incidents", params={"status": "closed", "limit": 2}, headers=AMARA)
    assert first.status_code == 200
    body = first.json()
    assert [(i["incident_id"], i["status"], i["service"]) for i in body["incidents"]] == [
        ("INC-3", "closed", "shop-payments"),
        ("INC-2", "closed", "saas-dashboard"),
    ]
    assert body["incidents"][0]["url"] == "https://incidents.example/v1/incidents/INC-3"
    second = await gateway.get(
        "/v1/incidents", params={"status": "closed", "limit": 2, "after": body["next"]}, headers=AMARA
    )
    assert ([i["incident_id"] for i in second.json()["incidents"]], second.json()["next"]) == (["INC-1"], None)
    only = await gateway.get("/v1/incidents", params={"status": "closed", "team": "dashboards"}, headers=AMARA)
    assert [i["incident_id"] for i in only.json()["incidents"]] == ["INC-2"]


async def test_a_cursor_the_archive_did_not_hand_out_is_a_400(
    archived: ArchiveRepository, gateway: httpx.AsyncClient
) -> None:
    answer = await gateway.get("/v1/incidents", params={"status": "closed", "after": "bogus"}, headers=AMARA)
    assert answer.status_code == 400
    assert set(answer.json()) == {"error"}
    assert "cursor" in answer.json()["error"]


async def test_search_has_this_happened_before(archived: ArchiveRepository, gateway: httpx.AsyncClient) -> None:
    answer = await gateway.get("/v1/incidents", params={"q": "connection pool"}, headers=AMARA)
    assert [(i["incident_id"], i["status"]) for i in answer.json()["incidents"]] == [("INC-2", "closed")]
    none = await gateway.get("/v1/incidents", params={"q": "certificate"}, headers=AMARA)
    assert none.json() == {"incidents": [], "next": None}


async def test_a_closed_incident_without_a_history_answers_from_the_archive(
    archived: ArchiveRepository, gateway: httpx.AsyncClient
) -> None:
    answer = await gateway.get("/v1/incidents/INC-2", headers=AMARA)  # the dev server never ran it
    assert answer.status_code == 200
    record = archived.get("INC-2")
    assert record is not None
    assert answer.json() == json.loads(status_from_record(record).model_dump_json())
    assert (answer.json()["status"], answer.json()["archived"]) == ("closed", True)
    unknown = await gateway.get("/v1/incidents/INC-ABCDEFGHIJ", headers=AMARA)
    assert (unknown.status_code, unknown.json()) == (404, {"error": "no incident 'INC-ABCDEFGHIJ'"})


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)  # about Temporal's side: one database will do
async def test_the_history_deleted_from_the_server(
    dev_env: WorkflowEnvironment, repository: ArchiveRepository, gateway: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A real incident closes, its record is archived, Temporal deletes its history: the status still answers."""
    settings = gateway_settings(tmp_path)
    async with worker_for(dev_env, settings):
        app = create_app(settings, dev_env.client)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            reported = await http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
            incident_id = reported.json()["incident_id"]
            resolve = {"summary": "rolled back", "root_cause": "bad deploy"}
            assert (await http.post(f"/v1/incidents/{incident_id}/resolve", json=resolve, headers=AMARA)).is_success
        handle = dev_env.client.get_workflow_handle(incident_id, result_type=IncidentRecord)
        record = await handle.result()
    repository.archive(record)
    await dev_env.client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=dev_env.client.namespace, workflow_execution=WorkflowExecution(workflow_id=incident_id)
        )
    )
    for _ in range(600):  # the server deletes asynchronously (15 to 30 s on the dev server)
        try:
            await handle.describe()
        except RPCError as error:
            assert error.status == RPCStatusCode.NOT_FOUND
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"{incident_id} was not deleted")
    answer = await gateway.get(f"/v1/incidents/{incident_id}", headers=AMARA)
    assert answer.status_code == 200
    assert answer.json() == json.loads(status_from_record(record).model_dump_json())
    kinds = [e["kind"] for e in answer.json()["timeline"]]
    assert (kinds[0], "incident.resolved" in kinds, kinds[-1]) == ("incident.opened", True, "incident.closed")


async def test_the_command_line_reads_the_archive(archived: ArchiveRepository, archive_url: URL) -> None:
    env = clean_environment(INCIDENTS_DATABASE_URL=url_text(archive_url), TEMPORAL_ADDRESS="127.0.0.1:1")
    page = await incidents("list", "--status", "closed", "--limit", "2", "--json", env=env)
    assert (page.code, [i["incident_id"] for i in json.loads(page.stdout)]) == (0, ["INC-3", "INC-2"])
    assert page.stderr.startswith("next page: incidents list --status closed --after ")
    cursor = page.stderr.split("--after ")[1].strip()
    rest = await incidents("list", "--status", "closed", "--after", cursor, "--json", env=env)
    assert ([i["incident_id"] for i in json.loads(rest.stdout)], rest.stderr) == (["INC-1"], "")
    found = await incidents("search", "connection pool", "--json", env=env)
    assert (found.code, [i["incident_id"] for i in json.loads(found.stdout)]) == (0, ["INC-2"])


async def test_stats_count_every_archived_incident(archived: ArchiveRepository, archive_url: URL) -> None:
    env = clean_environment(INCIDENTS_DATABASE_URL=url_text(archive_url))
    since, until = "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"
    counted = await incidents("stats", "--since", since, "--until", until, "--format", "json", env=env)
    assert (counted.code, counted.stderr) == (0, "")
    stats = json.loads(counted.stdout)
    assert (stats["incidents"], stats["mtta"]["mean_seconds"], stats["mttr"]["p50_seconds"]) == (3, 300.0, 2400.0)
    assert [(s["service"], s["incidents"]) for s in stats["busiest_services"]] == [
        ("shop-payments", 2),
        ("saas-dashboard", 1),
    ]
    only = await incidents(
        "stats", "--since", since, "--until", until, "--team", "dashboards", "--format", "json", env=env
    )
    assert json.loads(only.stdout)["incidents"] == 1


async def test_an_open_incident_lists_the_closed_ones_most_like_it(
    dev_env: WorkflowEnvironment, archived: ArchiveRepository, archive_url: URL, tmp_path: Path
) -> None:
    settings = gateway_settings(tmp_path, database_url=url_text(archive_url))
    async with worker_for(dev_env, settings):
        transport = httpx.ASGITransport(app=create_app(settings, dev_env.client))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
            reported = await http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
            view = (await http.get(f"/v1/incidents/{reported.json()['incident_id']}", headers=AMARA)).json()
    assert (view["status"], view["category"], view["archived"]) == ("triggered", "application_error", False)
    assert [(s["incident_id"], s["title"], s["priority"]) for s in view["similar"]] == [
        ("INC-3", "shop-payments trouble number 3", "P2"),
        ("INC-1", "shop-payments trouble number 1", "P2"),
    ]
