"""Resolved is not closed: the reopen window on the time-skipping server, at exact workflow times.

The shipped catalog without its review: payments-critical pages amara (0), amara and bruno (5m), chen and kofi
(10m); a P1 incident has 5m to be acknowledged and 1h to be resolved; the policy keeps a resolved incident open for
1h (the default).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.keyed_triggers import keyed_incident_id, trigger_incident
from domain.messages.actions import AcknowledgeRequest, AlertState, ReopenRequest, ResolveRequest, TriggerRequest
from domain.models import Status
from domain.policy.sla import Clock
from domain.views.record import IncidentRecord
from tests.support.catalogs import with_payments_policy
from tests.support.incidents import events, minutes, offset, start, status
from tests.support.reports import PAYMENTS
from tests.support.settings import SHIPPED_CATALOG, make_settings
from tests.support.workers import worker_for
from workflows.incident import IncidentWorkflow

KINDS = (
    "escalation.level_paged",
    "incident.acknowledged",
    "incident.resolved",
    "incident.reopen_window",
    "incident.reopened",
    "sla.warning",
    "sla.breached",
    "incident.closed",
)


@pytest.fixture
async def worker(time_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Worker]:
    """The shipped catalog without the post-incident review (tests/workflows/test_review.py has it)."""
    catalog = with_payments_policy("reopen-test", SHIPPED_CATALOG, review=None)
    async with worker_for(time_env, make_settings(tmp_path), catalog) as running:
        yield running


def delivered(record: IncidentRecord) -> list[tuple[str, timedelta]]:
    steps: dict[str, timedelta] = {}
    for entry in record.timeline:
        if entry.kind == "notification.delivered":
            steps.setdefault(str(entry.data["step"]), offset(record.opened_at, entry.at))
    return list(steps.items())


async def test_a_resolved_incident_closes_when_its_reopen_window_ends(
    time_env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await time_env.sleep(minutes(2))
    await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))
    await time_env.sleep(minutes(8))
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="rolled back", root_cause="bad deploy")
    )
    view = await status(handle)
    assert view.reopen_until is not None
    assert (view.status, offset(view.opened_at, view.reopen_until), view.reopens) == (Status.RESOLVED, minutes(70), 0)
    record: IncidentRecord = await handle.result()
    assert events(record, *KINDS) == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("incident.acknowledged", minutes(2), "amara"),
        ("incident.resolved", minutes(10), "amara"),
        ("incident.reopen_window", minutes(10), ""),
        ("incident.closed", minutes(70), ""),
    ]
    assert record.closed_at is not None and record.resolved_at is not None
    mttr = round(record.mttr_seconds or 0)
    assert (offset(record.opened_at, record.closed_at), mttr, record.reopens) == (minutes(70), 600, [])


async def test_a_responder_reopens_it_within_the_window_and_the_resolve_clock_pauses_meanwhile(
    time_env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await time_env.sleep(minutes(2))
    await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))
    await time_env.sleep(minutes(8))
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="restarted", root_cause="memory leak")
    )
    await time_env.sleep(minutes(15))
    result = await handle.execute_update(
        IncidentWorkflow.reopen, ReopenRequest(by="bruno", reason="checkout errors are back")
    )
    assert (result.status, result.assignee, result.escalation_level) == (Status.TRIGGERED, None, 1)
    await time_env.sleep(minutes(6))
    view = await status(handle)
    resolve_clock = next(clock for clock in view.sla if clock.clock is Clock.RESOLVE)
    assert (view.status, view.reopens, view.reopen_until) == (Status.TRIGGERED, 1, None)
    assert (offset(view.opened_at, resolve_clock.deadline), resolve_clock.state) == (minutes(75), "running")
    await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="bruno"))
    await time_env.sleep(minutes(19))
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="bruno", summary="pool resized", root_cause="connection pool")
    )
    record: IncidentRecord = await handle.result()
    assert events(record, *KINDS) == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("incident.acknowledged", minutes(2), "amara"),
        ("incident.resolved", minutes(10), "amara"),
        ("incident.reopen_window", minutes(10), ""),
        ("incident.reopened", minutes(25), "bruno"),
        ("escalation.level_paged", minutes(25), "L1/pass1"),
        ("escalation.level_paged", minutes(30), "L2/pass1"),
        ("incident.acknowledged", minutes(31), "bruno"),
        ("sla.warning", minutes(45), "resolve:50"),
        ("incident.resolved", minutes(50), "bruno"),
        ("incident.reopen_window", minutes(50), ""),
        ("incident.closed", minutes(110), ""),
    ]
    reopened = [entry.message for entry in record.timeline if entry.kind == "incident.reopened"]
    assert reopened == ["reopened by bruno: checkout errors are back"]
    assert [(offset(record.opened_at, r.at), r.by, offset(record.opened_at, r.resolved_at), r.resolved_by)
            for r in record.reopens] == [(minutes(25), "bruno", minutes(10), "amara")]  # fmt: skip
    assert (
        round(record.mtta_seconds or 0),
        round(record.mttr_seconds or 0),
        record.resolved_by,
        record.root_cause,
    ) == (
        120,
        3000,
        "bruno",
        "connection pool",
    )
    assert [(view.clock, offset(record.opened_at, view.deadline), view.state) for view in record.sla] == [
        (Clock.ACKNOWLEDGE, minutes(5), "met"),
        (Clock.RESOLVE, minutes(75), "met"),
    ]
    assert [step for step, _ in delivered(record)] == [
        "page-0",
        "resolved",
        "page-0-2",
        "page-1",
        "sla-resolve-50",
        "resolved-2",
    ]


async def test_a_reopen_is_refused_with_its_reason(time_env: WorkflowEnvironment, worker: Worker) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await time_env.sleep(minutes(1))
    refusals = []
    for request in (ReopenRequest(by="amara", reason="again"), ReopenRequest(by="mallory", reason="again")):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(IncidentWorkflow.reopen, request)
        assert isinstance(refused.value.cause, ApplicationError)
        refusals.append((refused.value.cause.type, refused.value.cause.message))
    assert refusals == [
        ("IllegalTransition", "cannot reopen: the incident is triggered, not resolved"),
        ("UnknownResponder", "unknown responder 'mallory': not a user in the catalog"),
    ]
    assert [entry.kind for entry in (await status(handle)).timeline].count("incident.reopened") == 0


def alerts(key: str, *states: tuple[str, bool]) -> TriggerRequest:
    return TriggerRequest(
        source="alertmanager",
        integration="prometheus",
        dedup_key=key,
        summary="Checkout error rate above 20%",
        alerts=[AlertState(fingerprint=fingerprint, firing=firing) for fingerprint, firing in states],
        auto_resolve=True,
    )


async def test_an_alert_firing_again_within_the_window_reopens_the_same_incident(
    time_env: WorkflowEnvironment, worker: Worker
) -> None:
    key = f"test:{worker.task_queue}"

    async def send(*states: tuple[str, bool]) -> str | None:
        sent = await trigger_incident(
            time_env.client, PAYMENTS, alerts(key, *states), task_queue=worker.task_queue, summary="s"
        )
        return sent.incident_id if sent is not None else None

    assert await send(("a1", True)) == keyed_incident_id(key, 1)
    await time_env.sleep(minutes(3))
    await send(("a1", False))  # every alert resolved: monitoring resolves it
    handle = time_env.client.get_workflow_handle_for(IncidentWorkflow.run, keyed_incident_id(key, 1))
    assert (await status(handle)).status is Status.RESOLVED
    await time_env.sleep(minutes(20))
    assert await send(("a1", True)) == keyed_incident_id(key, 1)  # fires again: the same incident, reopened
    view = await status(handle)
    assert (view.status, view.reopens) == (Status.TRIGGERED, 1)
    await time_env.sleep(minutes(2))
    await send(("a1", False))
    await time_env.sleep(minutes(61))  # a handle the test did not start waits for its result without skipping time
    record: IncidentRecord = await handle.result()
    assert events(record, *KINDS) == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("sla.warning", minutes(2.5), "acknowledge:50"),
        ("incident.resolved", minutes(3), "monitoring:prometheus"),
        ("incident.reopen_window", minutes(3), ""),
        ("incident.reopened", minutes(23), "monitoring:prometheus"),  # the acknowledge clock stopped at 3m
        ("escalation.level_paged", minutes(23), "L1/pass1"),
        ("incident.resolved", minutes(25), "monitoring:prometheus"),
        ("incident.reopen_window", minutes(25), ""),
        ("incident.closed", minutes(85), ""),
    ]
    assert round(record.mttr_seconds or 0) == 1500
