"""Stakeholders and status updates on the time-skipping server: subscribers from the catalog and those who
subscribed are told; the commander is reminded 30m after the last update (P1), and again every 30m."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog
from domain.messages.actions import ResolveRequest, RoleRequest, StatusUpdateRequest, SubscribeRequest
from domain.models import Role, UpdateState
from domain.policy.catalog import Catalog
from domain.views.record import IncidentRecord, render_markdown
from tests.support.incidents import events, minutes, offset, start, status, terminate_open
from tests.support.settings import EXAMPLE_CATALOG, make_settings
from worker import build_worker
from workflows.incident import IncidentWorkflow


@pytest.fixture
async def worker(time_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Worker]:
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    data["escalation_policies"]["payments-critical"]["update_every"] = {"P1": "30m"}
    catalog = LoadedCatalog(Catalog.model_validate(data), "updates-test", tmp_path / "catalog.yaml")
    async with (
        httpx.AsyncClient() as http,
        build_worker(time_env.client, make_settings(tmp_path), catalog, http) as running,
    ):
        try:
            yield running
        finally:
            await terminate_open(time_env.client, running.task_queue)


async def test_updates_reach_the_stakeholders_and_the_commander_is_reminded_on_time(
    time_env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await time_env.sleep(minutes(5))
    await handle.execute_update(IncidentWorkflow.assign_role, RoleRequest(by="amara", role=Role.COMMANDER, user="kofi"))
    await handle.execute_update(IncidentWorkflow.subscribe, SubscribeRequest(by="lena"))
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await handle.execute_update(IncidentWorkflow.subscribe, SubscribeRequest(by="dana"))
    assert isinstance(twice.value.cause, ApplicationError)
    assert twice.value.cause.message == "dana is already told of this incident's status updates"
    await time_env.sleep(minutes(15))
    await handle.execute_update(
        IncidentWorkflow.post_update,
        StatusUpdateRequest(by="kofi", state=UpdateState.IDENTIFIED, message="the card processor rejects our TLS"),
    )
    view = await status(handle)
    assert view.next_update_due is not None and offset(view.opened_at, view.next_update_due) == minutes(50)
    await time_env.sleep(minutes(61))
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="kofi", summary="certificate renewed", root_cause="expired cert")
    )
    record: IncidentRecord = await handle.result()
    assert events(record, "status.subscribed", "status.update", "status.update_reminder") == [
        ("status.subscribed", minutes(5), "lena"),
        ("status.update", minutes(20), "kofi"),
        ("status.update_reminder", minutes(50), ""),
        ("status.update_reminder", minutes(80), ""),
    ]
    assert [(u.by, u.state, u.told) for u in record.updates] == [("kofi", UpdateState.IDENTIFIED, ["dana", "lena"])]
    told = {n.step: n.recipients for n in record.notifications}
    assert (told["update-1"], told["update-reminder-1"], told["update-reminder-2"]) == (
        ["dana", "lena"],
        ["kofi"],
        ["kofi"],
    )
    assert "## Status updates" in render_markdown(record).splitlines()
