"""Acknowledgement timeouts, snoozes and maintenance windows on the time-skipping server, at exact workflow times.

payments-critical pages amara (5m), then amara and bruno (10m), then chen and kofi (15m); a P1 incident has 5m to be
acknowledged and 1h to be resolved (checkpoints at 50%, 75% and 100%).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog
from domain.messages.actions import AcknowledgeRequest, NoteRequest, ResolveRequest, SnoozeRequest
from domain.models import Status
from domain.policy.catalog import Catalog
from domain.views.record import IncidentRecord, IncidentStatusView
from tests.support.incidents import events, minutes, offset, start, status, terminate_open
from tests.support.settings import EXAMPLE_CATALOG, make_settings
from worker import build_worker
from workflows.incident import IncidentWorkflow

PAGING = (
    "escalation.level_paged",
    "acknowledgement.reminder",
    "incident.retriggered",
    "incident.acknowledged",
    "incident.snoozed",
    "snooze.ended",
    "note.added",
    "sla.warning",
    "sla.breached",
    "page.suppressed",
    "maintenance.paging_held",
    "maintenance.ended",
    "incident.resolved",
)
TIMEOUT = {"acknowledgement": {"remind_after": "20m", "retrigger_after": "15m"}}

WorkerFor = Callable[..., AbstractAsyncContextManager[Worker]]


def loaded(tmp_path: Path, windows: list[dict[str, Any]] | None = None, **policy: Any) -> LoadedCatalog:
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    data["escalation_policies"]["payments-critical"].update(policy)
    data["maintenance_windows"] = windows or []
    return LoadedCatalog(Catalog.model_validate(data), "pauses-test", tmp_path / "catalog.yaml")


@pytest.fixture
def worker_for(time_env: WorkflowEnvironment, tmp_path: Path) -> WorkerFor:
    @asynccontextmanager
    async def running(catalog: LoadedCatalog) -> AsyncIterator[Worker]:
        settings = make_settings(tmp_path)
        async with httpx.AsyncClient() as http, build_worker(time_env.client, settings, catalog, http) as worker:
            try:
                yield worker
            finally:
                await terminate_open(time_env.client, worker.task_queue)

    return running


def delivered(view: IncidentStatusView | IncidentRecord) -> list[tuple[str, timedelta]]:
    """(page step, offset) of every page that went out, once per page whatever the number of channels."""
    steps: dict[str, timedelta] = {}
    for entry in view.timeline:
        if entry.kind == "notification.delivered":
            steps.setdefault(str(entry.data["step"]), offset(view.opened_at, entry.at))
    return list(steps.items())


async def test_a_quiet_acknowledgement_is_reminded_then_retriggered_and_escalation_resumes(
    time_env: WorkflowEnvironment, worker_for: WorkerFor, tmp_path: Path
) -> None:
    async with worker_for(loaded(tmp_path, **TIMEOUT)) as worker:
        handle = await start(time_env.client, worker.task_queue)
        await time_env.sleep(minutes(2))
        await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))
        await time_env.sleep(minutes(36))
        view = await status(handle)
        assert view.next_escalation_at is not None
        assert (view.status, view.assignee, offset(view.opened_at, view.next_escalation_at)) == (
            Status.TRIGGERED,
            None,
            minutes(42),
        )
        await time_env.sleep(minutes(15))
        view = await status(handle)
    assert events(view, *PAGING) == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("incident.acknowledged", minutes(2), "amara"),
        ("acknowledgement.reminder", minutes(22), ""),
        ("sla.warning", minutes(30), "resolve:50"),
        ("incident.retriggered", minutes(37), ""),
        ("escalation.level_paged", minutes(37), "L1/pass1"),
        ("escalation.level_paged", minutes(42), "L2/pass1"),
        ("sla.warning", minutes(45), "resolve:75"),
        ("escalation.level_paged", minutes(52), "L3/pass1"),
    ]
    assert [step for step, _ in delivered(view)] == [
        "page-0",
        "reminder-1",
        "sla-resolve-50",
        "page-0-2",
        "page-1",
        "sla-resolve-75",
        "page-2",
    ]


async def test_a_note_pushes_the_reminder_and_the_retrigger(
    time_env: WorkflowEnvironment, worker_for: WorkerFor, tmp_path: Path
) -> None:
    async with worker_for(loaded(tmp_path, **TIMEOUT)) as worker:
        handle = await start(time_env.client, worker.task_queue)
        await time_env.sleep(minutes(2))
        await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))
        await time_env.sleep(minutes(13))
        await handle.execute_update(IncidentWorkflow.add_note, NoteRequest(by="bruno", text="vendor is on it"))
        await time_env.sleep(minutes(41))
        view = await status(handle)
    assert events(view, "acknowledgement.reminder", "incident.retriggered", "escalation.level_paged", "note.added") == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("note.added", minutes(15), "bruno"),
        ("acknowledgement.reminder", minutes(35), ""),
        ("incident.retriggered", minutes(50), ""),
        ("escalation.level_paged", minutes(50), "L1/pass1"),
        ("escalation.level_paged", minutes(55), "L2/pass1"),
    ]


async def test_a_snooze_suppresses_exactly_what_falls_inside_it_and_retriggers_at_its_end(
    time_env: WorkflowEnvironment, worker_for: WorkerFor, tmp_path: Path
) -> None:
    async with worker_for(loaded(tmp_path)) as worker:
        handle = await start(time_env.client, worker.task_queue)
        await time_env.sleep(minutes(1))
        result = await handle.execute_update(
            IncidentWorkflow.snooze, SnoozeRequest(by="amara", duration=minutes(32), reason="deploying the fix")
        )
        assert (result.status, result.assignee, result.escalation_level) == (Status.ACKNOWLEDGED, "amara", 1)
        view = await status(handle)
        assert view.snoozed_until is not None
        assert offset(view.opened_at, view.snoozed_until) == minutes(33)
        await time_env.sleep(minutes(49))
        view = await status(handle)
    assert view.snoozed_until is None
    assert events(view, *PAGING) == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("incident.snoozed", minutes(1), "amara"),
        ("sla.warning", minutes(30), "resolve:50"),
        ("page.suppressed", minutes(30), ""),
        ("snooze.ended", minutes(33), ""),
        ("incident.retriggered", minutes(33), ""),
        ("escalation.level_paged", minutes(33), "L1/pass1"),
        ("escalation.level_paged", minutes(38), "L2/pass1"),
        ("sla.warning", minutes(45), "resolve:75"),
        ("escalation.level_paged", minutes(48), "L3/pass1"),
    ]
    assert delivered(view) == [
        ("page-0", minutes(0)),
        ("page-0-2", minutes(33)),
        ("page-1", minutes(38)),
        ("sla-resolve-75", minutes(45)),
        ("page-2", minutes(48)),
    ]


async def test_resolving_during_a_snooze_pages_nobody_again(
    time_env: WorkflowEnvironment, worker_for: WorkerFor, tmp_path: Path
) -> None:
    async with worker_for(loaded(tmp_path)) as worker:
        handle = await start(time_env.client, worker.task_queue)
        await time_env.sleep(minutes(1))
        await handle.execute_update(
            IncidentWorkflow.snooze, SnoozeRequest(by="amara", duration=minutes(30), reason="restarting")
        )
        await time_env.sleep(minutes(9))
        await handle.execute_update(
            IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="restarted", root_cause="leak")
        )
        record = await handle.result()
    assert events(record, *PAGING) == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("incident.snoozed", minutes(1), "amara"),
        ("snooze.ended", minutes(10), "amara"),
        ("incident.resolved", minutes(10), "amara"),
    ]
    assert sorted({(n.step, tuple(n.recipients)) for n in record.notifications}) == [
        ("page-0", ("amara",)),
        ("resolved", ("amara",)),
    ]
    assert [(s.by, offset(record.opened_at, s.until), s.ended_by) for s in record.snoozes] == [
        ("amara", minutes(31), "amara")
    ]


async def test_a_snooze_beyond_the_policy_is_refused_and_leaves_no_trace(
    time_env: WorkflowEnvironment, worker_for: WorkerFor, tmp_path: Path
) -> None:
    """(Snoozing a resolved incident is refused too: tests/api/test_snooze.py holds the incident open to show it; here
    the incident may already be closing by the time a second update arrives.)"""
    async with worker_for(loaded(tmp_path, longest_snooze="2h")) as worker:
        handle = await start(time_env.client, worker.task_queue)
        await handle.execute_update(IncidentWorkflow.wait_for_classification)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                IncidentWorkflow.snooze, SnoozeRequest(by="amara", duration=minutes(121), reason="lunch")
            )
        assert isinstance(refused.value.cause, ApplicationError)
        assert refused.value.cause.message == "cannot snooze for 2h1m: policy 'payments-critical' allows at most 2h"
        await handle.execute_update(
            IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="fixed", root_cause="config")
        )
        record = await handle.result()
    assert record.snoozes == []
    assert [e.kind for e in record.timeline if e.kind.startswith(("incident.snoozed", "snooze."))] == []


async def test_an_incident_opened_in_a_maintenance_window_pages_level_one_at_its_end(
    time_env: WorkflowEnvironment, worker_for: WorkerFor, tmp_path: Path
) -> None:
    # The window is set before the incident opens, so times after its end are measured from the end itself.
    now = await time_env.get_current_time()
    end = now + minutes(42)
    window = {"service": "shop-payments", "start": now - minutes(10), "end": end, "reason": "upgrade"}
    async with worker_for(loaded(tmp_path, [window])) as worker:
        handle = await start(time_env.client, worker.task_queue)
        await time_env.sleep(minutes(41))
        held = await status(handle)
        assert (held.escalation, held.next_escalation_at, held.maintenance_until) == (None, None, end)
        await time_env.sleep(minutes(17))
        view = await status(handle)
    before = view.model_copy(update={"timeline": [entry for entry in view.timeline if entry.at < end]})
    after = view.model_copy(update={"opened_at": end, "timeline": [e for e in view.timeline if e.at >= end]})
    assert events(before, *PAGING) == [
        ("maintenance.paging_held", minutes(0), ""),
        ("sla.warning", minutes(2.5), "acknowledge:50"),
        ("page.suppressed", minutes(2.5), ""),
        ("sla.warning", minutes(3.75), "acknowledge:75"),
        ("page.suppressed", minutes(3.75), ""),
        ("sla.breached", minutes(5), "acknowledge:100"),
        ("page.suppressed", minutes(5), ""),
        ("sla.warning", minutes(30), "resolve:50"),
        ("page.suppressed", minutes(30), ""),
    ]
    assert events(after, "maintenance.ended", "escalation.level_paged") == [
        ("maintenance.ended", minutes(0), ""),
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("escalation.level_paged", minutes(5), "L2/pass1"),
        ("escalation.level_paged", minutes(15), "L3/pass1"),
    ]
    assert [(kind, detail) for kind, _, detail in events(after, "sla.warning", "page.suppressed")] == [
        ("sla.warning", "resolve:75")  # 45m after the opening, after the window: paged
    ]
    assert [step for step, _ in delivered(view)] == ["page-0", "sla-resolve-75", "page-1", "page-2"]


async def test_an_incident_resolved_inside_its_maintenance_window_never_pages(
    time_env: WorkflowEnvironment, worker_for: WorkerFor, tmp_path: Path
) -> None:
    now = await time_env.get_current_time()
    window = {"service": "shop-payments", "start": now - minutes(10), "end": now + minutes(40), "reason": "upgrade"}
    async with worker_for(loaded(tmp_path, [window])) as worker:
        handle = await start(time_env.client, worker.task_queue)
        await time_env.sleep(minutes(10))
        await handle.execute_update(
            IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="expected restart", root_cause="maintenance")
        )
        record = await handle.result()
    assert (record.notifications, record.escalations) == ([], [])
    assert [kind for kind, _, _ in events(record, *PAGING)] == [
        "maintenance.paging_held",
        "sla.warning",
        "page.suppressed",
        "sla.warning",
        "page.suppressed",
        "sla.breached",
        "page.suppressed",
        "incident.resolved",
    ]
