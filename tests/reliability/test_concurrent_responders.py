"""Twenty responders acknowledge the same incident at the same moment: exactly one wins, the rest are told why.

On the dev server with a worker in this process; once through ``adapters.incident_client.act`` and once over HTTP
through the gateway with each responder's own token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog
from adapters.incident_client import act, get_status
from api.app import create_app
from domain.errors import ActionRefused
from domain.messages.actions import AcknowledgeRequest, ActionResult
from domain.models import Priority, Status
from tests.support.gateway import API_KEY, PAYMENTS_REPORT, bearer, gateway_settings, terminate_running
from tests.support.incidents import start, status
from worker import build_worker
from workflows.incident import IncidentWorkflow

USERS = ["amara", "bruno", "chen", "dana", "emil", "fatima", "gustav", "hana", "ivan", "jade", "kofi", "lena"]
RESPONDERS = [USERS[number % len(USERS)] for number in range(20)]
"""Twenty at once: every catalog user, and eight of them twice."""
TOKENS = {user: f"token-{user}-" + "x" * 24 for user in USERS}
ALREADY = "cannot acknowledge: the incident is already acknowledged"


@pytest.fixture
async def gateway(
    dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    tokens = [{"user": user, "token": token} for user, token in TOKENS.items()]
    settings = gateway_settings(tmp_path, responder_tokens=tokens)
    transport = httpx.ASGITransport(app=create_app(settings, dev_env.client))
    async with (
        httpx.AsyncClient() as outbound,
        build_worker(dev_env.client, settings, catalog, outbound),
        httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http,
    ):
        yield http
        await terminate_running(dev_env.client, settings.task_queue)


def acknowledgements(kinds: list[tuple[str, str | None]]) -> list[str | None]:
    return [actor for kind, actor in kinds if kind == "incident.acknowledged"]


async def test_twenty_simultaneous_acknowledgements_through_act_have_one_winner(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    handle = await start(dev_env.client, dev_worker.task_queue)

    async def acknowledge(user: str) -> ActionResult:
        return await act(dev_env.client, handle.id, IncidentWorkflow.acknowledge, AcknowledgeRequest(by=user))

    outcomes = await asyncio.gather(*(acknowledge(user) for user in RESPONDERS), return_exceptions=True)

    won = [
        (user, outcome) for user, outcome in zip(RESPONDERS, outcomes, strict=True) if isinstance(outcome, ActionResult)
    ]
    assert len(won) == 1, outcomes
    winner, result = won[0]
    assert result == ActionResult(
        incident_id=handle.id, status=Status.ACKNOWLEDGED, priority=Priority.P1, assignee=winner, escalation_level=1
    )
    refused = [outcome for outcome in outcomes if not isinstance(outcome, ActionResult)]
    assert [(type(error), str(error)) for error in refused] == [(ActionRefused, ALREADY)] * 19
    view = await status(handle)
    assert acknowledgements([(entry.kind, entry.actor) for entry in view.timeline]) == [winner]
    assert (view.status, view.assignee) == (Status.ACKNOWLEDGED, winner)


async def test_twenty_simultaneous_acknowledgements_over_http_answer_one_200_and_nineteen_409(
    dev_env: WorkflowEnvironment, gateway: httpx.AsyncClient
) -> None:
    opened = await gateway.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
    assert (opened.status_code, opened.json()["priority"]) == (202, "P1")
    incident_id = opened.json()["incident_id"]

    responses = await asyncio.gather(
        *(
            gateway.post(f"/v1/incidents/{incident_id}/acknowledge", headers=bearer(TOKENS[user]))
            for user in RESPONDERS
        ),
        return_exceptions=True,
    )

    answers = [(user, response) for user, response in zip(RESPONDERS, responses, strict=True)]
    assert all(isinstance(response, httpx.Response) for _, response in answers), responses
    won = [(user, r) for user, r in answers if isinstance(r, httpx.Response) and r.status_code == 200]
    assert len(won) == 1, [(user, r.status_code) for user, r in answers if isinstance(r, httpx.Response)]
    winner, accepted = won[0]
    assert accepted.json() == {
        "incident_id": incident_id, "status": "acknowledged", "priority": "P1", "assignee": winner,
        "escalation_level": 1,
    }  # fmt: skip
    refused = [(r.status_code, r.json()) for _, r in answers if isinstance(r, httpx.Response) and r.status_code != 200]
    assert refused == [(409, {"error": ALREADY})] * 19
    view = await get_status(dev_env.client, incident_id)
    assert acknowledgements([(entry.kind, entry.actor) for entry in view.timeline]) == [winner]
    assert (view.status, view.assignee) == (Status.ACKNOWLEDGED, winner)
