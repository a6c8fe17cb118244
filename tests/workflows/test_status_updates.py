"""Stakeholders and status updates on a real dev server: subscribers from the catalog and those who subscribed are
told; with ``update_every`` at 2s for P1 the commander is reminded 2s after the last update, and again 2s later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.messages.actions import ResolveRequest, RoleRequest, StatusUpdateRequest, SubscribeRequest
from domain.models import Role, UpdateState
from domain.views.record import IncidentRecord, render_markdown
from tests.support.catalogs import with_payments_policy
from tests.support.incidents import start
from tests.support.settings import make_settings
from tests.support.workers import worker_for
from workflows.incident import IncidentWorkflow


@pytest.fixture
async def worker(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Worker]:
    catalog = with_payments_policy("updates-test", update_every={"P1": "2s"})
    async with worker_for(dev_env, make_settings(tmp_path), catalog) as running:
        yield running


async def test_updates_reach_the_stakeholders_and_the_commander_is_reminded_on_time(
    dev_env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(dev_env.client, worker.task_queue)
    await handle.execute_update(IncidentWorkflow.wait_for_classification)
    await handle.execute_update(IncidentWorkflow.assign_role, RoleRequest(by="amara", role=Role.COMMANDER, user="kofi"))
    await handle.execute_update(IncidentWorkflow.subscribe, SubscribeRequest(by="lena"))
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await handle.execute_update(IncidentWorkflow.subscribe, SubscribeRequest(by="dana"))
    assert isinstance(twice.value.cause, ApplicationError)
    assert twice.value.cause.message == "dana is already told of this incident's status updates"
    await handle.execute_update(
        IncidentWorkflow.post_update,
        StatusUpdateRequest(by="kofi", state=UpdateState.IDENTIFIED, message="the card processor rejects our TLS"),
    )
    await asyncio.sleep(5)
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="kofi", summary="certificate renewed", root_cause="expired cert")
    )
    record: IncidentRecord = await handle.result()
    assert [(u.by, u.state, u.told) for u in record.updates] == [("kofi", UpdateState.IDENTIFIED, ["dana", "lena"])]
    posted = record.updates[0].at
    reminders = [e for e in record.timeline if e.kind == "status.update_reminder"]
    assert [datetime.fromisoformat(str(e.data["due"])) - posted for e in reminders[:2]] == [
        timedelta(seconds=2),
        timedelta(seconds=4),
    ]
    assert reminders[0].message == "no status update for 2s: reminded kofi"
    told = {n.step: n.recipients for n in record.notifications}
    assert (told["update-1"], told["update-reminder-1"], told["update-reminder-2"]) == (
        ["dana", "lena"],
        ["kofi"],
        ["kofi"],
    )
    assert [e.kind for e in record.timeline].count("status.subscribed") == 1
    assert "## Status updates" in render_markdown(record).splitlines()
