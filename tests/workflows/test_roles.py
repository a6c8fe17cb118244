"""Roles on the time-skipping server: a policy that requires a commander within 10 minutes pages its targets at
exactly 10m when nobody took the role; assignments and hand-overs land on the timeline and in the record."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.messages.actions import ResolveRequest, RoleRequest
from domain.models import Role
from domain.views.record import IncidentRecord, render_markdown
from tests.support.catalogs import with_payments_policy
from tests.support.incidents import events, minutes, offset, start
from tests.support.settings import make_settings
from tests.support.workers import worker_for
from workflows.incident import IncidentWorkflow

COMMANDER = {"priorities": ["P1"], "within": "10m", "targets": [{"user": "kofi"}, {"team": "incident-command"}]}


@pytest.fixture
async def worker(time_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Worker]:
    catalog = with_payments_policy("roles-test", commander=COMMANDER)
    async with worker_for(time_env, make_settings(tmp_path), catalog) as running:
        yield running


async def test_a_missing_commander_is_paged_then_the_role_is_taken_and_handed_over(
    time_env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await time_env.sleep(minutes(3))
    await handle.execute_update(IncidentWorkflow.assign_role, RoleRequest(by="amara", role=Role.SCRIBE, user="bruno"))
    await time_env.sleep(minutes(10))
    await handle.execute_update(IncidentWorkflow.assign_role, RoleRequest(by="kofi", role=Role.COMMANDER, user="kofi"))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            IncidentWorkflow.assign_role, RoleRequest(by="kofi", role=Role.COMMANDER, user="kofi")
        )
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.message == "cannot assign the role: kofi is already the commander"
    await time_env.sleep(minutes(7))
    await handle.execute_update(IncidentWorkflow.assign_role, RoleRequest(by="kofi", role=Role.COMMANDER, user="lena"))
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="lena", summary="failed over", root_cause="bad deploy")
    )
    record: IncidentRecord = await handle.result()
    assert events(record, "role.assigned", "role.commander_missing") == [
        ("role.assigned", minutes(3), "amara"),
        ("role.commander_missing", minutes(10), ""),
        ("role.assigned", minutes(13), "kofi"),
        ("role.assigned", minutes(20), "kofi"),
    ]
    assert [entry.message for entry in record.timeline if entry.kind == "role.assigned"] == [
        "bruno is the scribe (assigned by amara)",
        "kofi is the commander (assigned by kofi)",
        "commander handed over from kofi to lena by kofi",
    ]
    needed = [(n.step, n.recipients, offset(record.opened_at, n.at)) for n in record.notifications]
    assert ("commander-needed", ["kofi", "lena"], minutes(10)) in needed
    assert record.roles == {Role.SCRIBE: "bruno", Role.COMMANDER: "lena"}
    assert "- **Roles:** commander lena, scribe bruno" in render_markdown(record).splitlines()


async def test_a_commander_in_time_pages_nobody_for_the_role(time_env: WorkflowEnvironment, worker: Worker) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await time_env.sleep(minutes(4))
    await handle.execute_update(IncidentWorkflow.assign_role, RoleRequest(by="amara", role=Role.COMMANDER, user="kofi"))
    await time_env.sleep(minutes(20))
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="kofi", summary="failed over", root_cause="bad deploy")
    )
    record: IncidentRecord = await handle.result()
    assert events(record, "role.assigned", "role.commander_missing") == [("role.assigned", minutes(4), "amara")]
    assert [n.step for n in record.notifications if n.step.startswith("commander")] == []
