"""A policy's auto-resolve timeout on the time-skipping server: nobody acts and no alert fires for 4h, and the
incident resolves itself, recorded as such; a firing alert holds it off, its resolution starts the quiet again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.keyed_triggers import keyed_incident_id, trigger_incident
from domain.messages.actions import AcknowledgeRequest, AlertState, TriggerRequest
from domain.models import Status
from domain.views.record import IncidentRecord
from tests.support.catalogs import with_payments_policy
from tests.support.incidents import events, minutes, start, status
from tests.support.reports import PAYMENTS
from tests.support.settings import make_settings
from tests.support.workers import worker_for
from workflows.incident import IncidentWorkflow


@pytest.fixture
async def worker(time_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Worker]:
    catalog = with_payments_policy("auto-resolve-test", auto_resolve_after="4h")
    async with worker_for(time_env, make_settings(tmp_path), catalog) as running:
        yield running


async def test_a_quiet_incident_resolves_itself_four_hours_after_the_last_activity(
    time_env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await time_env.sleep(minutes(10))
    await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))
    record: IncidentRecord = await handle.result()
    assert events(record, "incident.acknowledged", "incident.auto_resolved", "incident.resolved") == [
        ("incident.acknowledged", minutes(10), "amara"),
        ("incident.auto_resolved", minutes(250), ""),
        ("incident.resolved", minutes(250), "monitoring:auto-resolve"),
    ]
    assert (record.resolution_summary, record.root_cause) == (
        "auto-resolved: nobody acted for 4h",
        "not recorded: auto-resolved after a quiet period",
    )


async def test_a_firing_alert_holds_it_off(time_env: WorkflowEnvironment, worker: Worker) -> None:
    key = f"test:{worker.task_queue}"

    def alert(firing: bool) -> TriggerRequest:
        return TriggerRequest(
            source="alertmanager", dedup_key=key, summary="errors", alerts=[AlertState(fingerprint="a1", firing=firing)]
        )

    await trigger_incident(time_env.client, PAYMENTS, alert(True), task_queue=worker.task_queue, summary="s")
    handle = time_env.client.get_workflow_handle_for(IncidentWorkflow.run, keyed_incident_id(key, 1))
    await time_env.sleep(minutes(300))
    assert (await status(handle)).status is Status.TRIGGERED
    await trigger_incident(time_env.client, PAYMENTS, alert(False), task_queue=worker.task_queue, summary="s")
    await time_env.sleep(minutes(239))
    assert (await status(handle)).status is Status.TRIGGERED
    await time_env.sleep(minutes(2))
    view = await status(handle)
    assert events(view, "incident.auto_resolved") == [("incident.auto_resolved", minutes(540), "")]
