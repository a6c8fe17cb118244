"""Escalations and SLA clocks on the time-skipping server: what fired, and exactly when in workflow time."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.messages.actions import AcknowledgeRequest, EscalateRequest, ResolveRequest, SetPriorityRequest
from domain.models import Impact, Priority, Status, Urgency
from tests.support.incidents import events, minutes, report, start, status
from workflows.incident import IncidentWorkflow

ESCALATION_AND_SLA = ("escalation.level_paged", "escalation.exhausted", "sla.warning", "sla.breached")


async def test_nobody_acknowledges_walks_the_whole_path_twice_then_exhausts(
    time_env: WorkflowEnvironment, time_worker: Worker
) -> None:
    handle = await start(time_env.client, time_worker.task_queue)
    await time_env.sleep(minutes(61))
    view = await status(handle)
    assert view.priority is Priority.P1
    assert events(view, *ESCALATION_AND_SLA) == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("sla.warning", minutes(2.5), "acknowledge:50"),
        ("sla.warning", minutes(3.75), "acknowledge:75"),
        ("escalation.level_paged", minutes(5), "L2/pass1"),
        ("sla.breached", minutes(5), "acknowledge:100"),
        ("escalation.level_paged", minutes(15), "L3/pass1"),
        ("escalation.level_paged", minutes(30), "L1/pass2"),
        ("sla.warning", minutes(30), "resolve:50"),
        ("escalation.level_paged", minutes(35), "L2/pass2"),
        ("escalation.level_paged", minutes(45), "L3/pass2"),
        ("sla.warning", minutes(45), "resolve:75"),
        ("escalation.exhausted", minutes(60), ""),
        ("sla.breached", minutes(60), "resolve:100"),
    ]
    assert view.escalation_exhausted is True
    assert view.next_escalation_at is None
    assert view.sla_breached is True
    assert [(s.clock.value, s.state) for s in view.sla] == [("acknowledge", "breached"), ("resolve", "breached")]
    await handle.signal("resolve", ResolveRequest(by="kofi", summary="rolled back", root_cause="bad deploy"))
    record = await handle.result()
    assert record.mtta_seconds is None
    assert round(record.mttr_seconds or 0) == 61 * 60
    assert [(e.level, e.loop, e.recipients) for e in record.escalations] == [
        (1, 1, ["amara"]),
        (2, 1, ["amara", "bruno"]),
        (3, 1, ["chen", "kofi"]),
        (1, 2, ["amara"]),
        (2, 2, ["amara", "bruno"]),
        (3, 2, ["chen", "kofi"]),
    ]


async def test_acknowledged_at_level_two_stops_escalation_but_not_the_resolve_clock(
    time_env: WorkflowEnvironment, time_worker: Worker
) -> None:
    handle = await start(time_env.client, time_worker.task_queue)
    await time_env.sleep(minutes(7))
    result = await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="bruno"))
    assert (result.status, result.assignee, result.escalation_level) == (Status.ACKNOWLEDGED, "bruno", 2)
    await time_env.sleep(minutes(50))
    view = await status(handle)
    assert events(view, *ESCALATION_AND_SLA, "incident.acknowledged") == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("sla.warning", minutes(2.5), "acknowledge:50"),
        ("sla.warning", minutes(3.75), "acknowledge:75"),
        ("escalation.level_paged", minutes(5), "L2/pass1"),
        ("sla.breached", minutes(5), "acknowledge:100"),
        ("incident.acknowledged", minutes(7), "bruno"),
        ("sla.warning", minutes(30), "resolve:50"),
        ("sla.warning", minutes(45), "resolve:75"),
    ]
    assert view.next_escalation_at is None
    result = await handle.execute_update(
        IncidentWorkflow.resolve,
        ResolveRequest(by="bruno", summary="card processor failover", root_cause="expired TLS"),
    )
    assert result.status is Status.RESOLVED
    record = await handle.result()
    assert (round(record.mtta_seconds or 0), round(record.mttr_seconds or 0)) == (7 * 60, 57 * 60)
    assert [(s.clock.value, s.state) for s in record.sla] == [("acknowledge", "breached"), ("resolve", "met")]


async def test_acknowledged_in_time_meets_both_slas(time_env: WorkflowEnvironment, time_worker: Worker) -> None:
    handle = await start(time_env.client, time_worker.task_queue)
    await time_env.sleep(minutes(2))
    await handle.signal("acknowledge", AcknowledgeRequest(by="amara"))
    await time_env.sleep(minutes(10))
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="restarted", root_cause="leak")
    )
    record = await handle.result()
    assert events(record, *ESCALATION_AND_SLA, "incident.acknowledged", "incident.resolved") == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("incident.acknowledged", minutes(2), "amara"),
        ("incident.resolved", minutes(12), "amara"),
    ]
    assert record.sla_breached is False
    assert [(s.clock.value, s.state) for s in record.sla] == [("acknowledge", "met"), ("resolve", "met")]


async def test_manual_escalation_pages_the_next_level_now_and_restarts_its_delay(
    time_env: WorkflowEnvironment, time_worker: Worker
) -> None:
    handle = await start(time_env.client, time_worker.task_queue)
    await time_env.sleep(minutes(1))
    await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))
    await time_env.sleep(minutes(1))
    result = await handle.execute_update(
        IncidentWorkflow.escalate, EscalateRequest(by="amara", reason="needs the payments team")
    )
    assert (result.status, result.escalation_level, result.assignee) == (Status.TRIGGERED, 2, None)
    await time_env.sleep(minutes(12))
    view = await status(handle)
    assert events(view, "escalation.level_paged", "incident.escalated", "incident.acknowledged") == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("incident.acknowledged", minutes(1), "amara"),
        ("incident.escalated", minutes(2), "amara"),
        ("escalation.level_paged", minutes(2), "L2/pass1"),
        ("escalation.level_paged", minutes(12), "L3/pass1"),
    ]


async def test_raising_priority_mid_incident_recomputes_deadlines_from_the_start(
    time_env: WorkflowEnvironment, time_worker: Worker
) -> None:
    # logistics-tracking, many users × low urgency: P3 (ack 1h, resolve 1d); ivan has 30 minutes.
    incident = report(
        service="logistics-tracking", title="Tracking page late", impact=Impact.MANY_USERS, urgency=Urgency.LOW
    )
    handle = await start(time_env.client, time_worker.task_queue, incident)
    await time_env.sleep(minutes(10))
    assert (await status(handle)).priority is Priority.P3
    result = await handle.execute_update(
        IncidentWorkflow.set_priority, SetPriorityRequest(by="ivan", priority=Priority.P1, reason="all parcels stuck")
    )
    assert result.priority is Priority.P1
    await time_env.sleep(minutes(25))
    view = await status(handle)
    # P1 targets from the incident's start: ack due at 5m (already past), resolve due at 1h.
    assert [(s.clock.value, s.deadline - view.opened_at) for s in view.sla] == [
        ("acknowledge", minutes(5)),
        ("resolve", minutes(60)),
    ]
    assert events(view, *ESCALATION_AND_SLA, "priority.changed") == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("priority.changed", minutes(10), "ivan"),
        ("sla.warning", minutes(10), "acknowledge:50"),
        ("sla.warning", minutes(10), "acknowledge:75"),
        ("sla.breached", minutes(10), "acknowledge:100"),
        ("escalation.level_paged", minutes(30), "L2/pass1"),
        ("sla.warning", minutes(30), "resolve:50"),
    ]
    assert "set to P1 by ivan: all parcels stuck" in (view.priority_reason or "")
