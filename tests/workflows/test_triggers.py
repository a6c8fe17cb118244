"""Triggers folded into the open incident for their key, on a real dev server: concurrency, reopening,
alert groups that resolve themselves, and alert storms that continue as new with clocks untouched."""

from __future__ import annotations

import asyncio

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.incident_client import act, get_status
from adapters.keyed_triggers import TriggerSender, keyed_incident_id, trigger_incident
from domain.messages.actions import AcknowledgeRequest, AlertState, ResolveRequest, TriggerRequest, TriggerResult
from domain.models import Status
from tests.support.reports import PAYMENTS
from workflows.incident import IncidentWorkflow

LIMIT = 100000


def trigger(key: str, *alerts: tuple[str, bool], auto_resolve: bool = False) -> TriggerRequest:
    return TriggerRequest(
        source="alertmanager",
        dedup_key=key,
        summary="Checkout error rate above 20%",
        payload={"groupKey": key},
        alerts=[AlertState(fingerprint=f, firing=firing) for f, firing in alerts],
        auto_resolve=auto_resolve,
    )


async def test_concurrent_duplicates_open_exactly_one_incident(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    key = f"test:{dev_worker.task_queue}"
    sender = TriggerSender(dev_env.client, dev_worker.task_queue)
    results = await asyncio.gather(*[sender.send(PAYMENTS, trigger(key), "s") for _ in range(40)])
    assert {r.incident_id for r in results} == {keyed_incident_id(key, 1)}
    assert sorted(r.triggers for r in results) == list(range(1, 41))
    assert [r.opened for r in results].count(True) == 1
    view = await get_status(dev_env.client, keyed_incident_id(key, 1))
    assert [e.kind for e in view.timeline].count("trigger.received") == 1
    assert [e.kind for e in view.timeline].count("escalation.level_paged") == 1


async def test_after_the_incident_closes_the_next_trigger_opens_a_new_one(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    key = f"test:{dev_worker.task_queue}"
    first = await trigger_incident(
        dev_env.client, PAYMENTS, trigger(key), task_queue=dev_worker.task_queue, summary="s"
    )
    resolve = ResolveRequest(by="amara", summary="s", root_cause="r")
    await act(dev_env.client, first.incident_id, IncidentWorkflow.resolve, resolve)
    second = await trigger_incident(
        dev_env.client, PAYMENTS, trigger(key), task_queue=dev_worker.task_queue, summary="s"
    )
    assert (first.incident_id, second.incident_id) == (keyed_incident_id(key, 1), keyed_incident_id(key, 2))
    assert (second.opened, second.triggers, second.status) == (True, 1, Status.TRIGGERED)
    assert keyed_incident_id(key, 2) == keyed_incident_id(key, 1) + "-2"


async def test_a_group_whose_alerts_all_resolve_resolves_its_incident(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    key = f"test:{dev_worker.task_queue}"

    async def send(*alerts: tuple[str, bool]) -> None:
        request = trigger(key, *alerts, auto_resolve=True)
        await trigger_incident(dev_env.client, PAYMENTS, request, task_queue=dev_worker.task_queue, summary="s")

    await send(("a1", True), ("a2", True))
    await send(("a1", False), ("a2", True))
    incident_id = keyed_incident_id(key, 1)
    assert (await get_status(dev_env.client, incident_id)).status is Status.TRIGGERED
    await send(("a1", False), ("a2", False))
    record = await dev_env.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert (record.resolved_by, record.resolution_summary, record.root_cause) == (
        "monitoring:alertmanager",
        "every alert of the group resolved (2 alerts)",
        "not recorded: resolved by monitoring",
    )
    assert [(e.kind, e.data.get("fingerprint")) for e in record.timeline if e.kind.startswith("alert.")] == [
        ("alert.firing", "a1"),
        ("alert.firing", "a2"),
        ("alert.resolved", "a1"),
        ("alert.resolved", "a2"),
    ]


async def test_a_group_taken_over_by_a_person_waits_for_that_person(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    key = f"test:{dev_worker.task_queue}"
    request = trigger(key, ("a1", True), auto_resolve=True)
    opened = await trigger_incident(dev_env.client, PAYMENTS, request, task_queue=dev_worker.task_queue, summary="s")
    await act(dev_env.client, opened.incident_id, IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))
    request = trigger(key, ("a1", False), auto_resolve=True)
    folded = await trigger_incident(dev_env.client, PAYMENTS, request, task_queue=dev_worker.task_queue, summary="s")
    assert (folded.incident_id, folded.status, folded.triggers) == (opened.incident_id, Status.ACKNOWLEDGED, 2)
    request = trigger(key, ("a1", True), auto_resolve=True)
    await trigger_incident(dev_env.client, PAYMENTS, request, task_queue=dev_worker.task_queue, summary="s")
    view = await get_status(dev_env.client, opened.incident_id)
    # Triggers while acknowledged do not page again: one page, the first; since the ack at most that page's own
    # delivery finishes (it runs beside the workflow and may complete after a quick acknowledgement).
    assert [e.kind for e in view.timeline].count("escalation.level_paged") == 1
    acked_at = next(e.at for e in view.timeline if e.kind == "incident.acknowledged")
    after_ack = {e.data.get("step") for e in view.timeline if e.at > acked_at and e.kind.startswith("notification.")}
    assert after_ack <= {"page-0"}
    assert [e.kind for e in view.timeline if e.kind.startswith("alert.")] == [
        "alert.firing",
        "alert.resolved",
        "alert.firing",
    ]


async def test_an_alert_storm_keeps_history_bounded_and_clocks_where_they_were(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    key = f"test:{dev_worker.task_queue}"
    client = dev_env.client
    sender = TriggerSender(client, dev_worker.task_queue, history_limit=100)

    async def storm(count: int) -> list[TriggerResult]:
        return await asyncio.gather(*[sender.send(PAYMENTS, trigger(key), "s") for _ in range(count)])

    await storm(10)
    incident_id = keyed_incident_id(key, 1)
    before = await get_status(client, incident_id)
    first_run = (await client.get_workflow_handle(incident_id).describe()).run_id
    results: list[TriggerResult] = []
    for _ in range(40):  # arriving in waves, as alerts do
        results += await storm(75)
    assert {r.incident_id for r in results} == {incident_id}
    assert sorted(r.triggers for r in results) == list(range(11, 3011))
    assert not any(r.opened for r in results)

    after = await get_status(client, incident_id)
    handle = client.get_workflow_handle(incident_id)
    assert (await handle.describe()).run_id != first_run  # it continued as new at least once
    history = await handle.fetch_history()
    assert len(history.events) < 200
    state_now = (after.status, after.priority, after.escalation, after.next_escalation_at, after.opened_at)
    assert state_now == (before.status, before.priority, before.escalation, before.next_escalation_at, before.opened_at)
    assert [(s.clock, s.deadline) for s in after.sla] == [(s.clock, s.deadline) for s in before.sla]
    await act(client, incident_id, IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="s", root_cause="r"))
    record = await client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert [e.kind for e in record.timeline].count("trigger.received") == 1
    assert [e.kind for e in record.timeline].count("escalation.level_paged") == 1
    assert record.opened_at == before.opened_at


async def test_large_triggers_arriving_together_are_sent_in_batches_under_the_payload_limit(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    key = f"test:{dev_worker.task_queue}"
    sender = TriggerSender(dev_env.client, dev_worker.task_queue)
    big = trigger(key).model_copy(update={"payload": {"blob": "x" * 400_000}})
    results = await asyncio.wait_for(asyncio.gather(*[sender.send(PAYMENTS, big, "s") for _ in range(10)]), 60)
    assert sorted(r.triggers for r in results) == list(range(1, 11))
    assert {r.incident_id for r in results} == {keyed_incident_id(key, 1)}
