"""Triggers that only resolve alerts never start an incident: they fold into the open one for their key or are
dropped (None), wherever they fall in a batch and whatever became of the key's last incident. On a real dev server."""

from __future__ import annotations

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.incident_client import act
from adapters.keyed_triggers import Target, find_open_incident, keyed_incident_id, send_batch
from domain.incident import only_resolves
from domain.messages.actions import AlertState, ResolveRequest, TriggerRequest, TriggerResult
from domain.models import Status
from tests.support.gateway import exists
from tests.support.reports import PAYMENTS
from workflows.incident import IncidentWorkflow


def trigger(key: str, *alerts: tuple[str, bool]) -> TriggerRequest:
    return TriggerRequest(
        source="alertmanager",
        dedup_key=key,
        summary="Checkout error rate above 20%",
        alerts=[AlertState(fingerprint=f, firing=firing) for f, firing in alerts],
        auto_resolve=True,
    )


async def send(client: Client, dev_worker: Worker, *triggers: TriggerRequest) -> list[TriggerResult | None]:
    return await send_batch(client, PAYMENTS, "s", list(triggers), Target(dev_worker.task_queue))


def brief(results: list[TriggerResult | None]) -> list[tuple[str, Status, int, bool] | None]:
    return [None if r is None else (r.incident_id, r.status, r.triggers, r.opened) for r in results]


@pytest.mark.parametrize(
    ("alerts", "expected"),
    [((), False), ((("a1", True),), False), ((("a1", False), ("a2", True)), False), ((("a1", False),), True),
     ((("a1", False), ("a2", False)), True)],
)  # fmt: skip
def test_only_a_trigger_whose_alerts_all_resolved_only_resolves(
    alerts: tuple[tuple[str, bool]], expected: bool
) -> None:
    assert only_resolves(trigger("k", *alerts)) is expected


async def test_a_duplicate_resolved_trigger_in_the_same_batch_is_dropped(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    key = f"test:{dev_worker.task_queue}"
    first = keyed_incident_id(key, 1)
    results = await send(
        dev_env.client, dev_worker, trigger(key, ("a1", True)), trigger(key, ("a1", False)), trigger(key, ("a1", False))
    )
    assert brief(results) == [(first, Status.RESOLVED, 1, True), (first, Status.RESOLVED, 2, False), None]
    assert await exists(dev_env.client, keyed_incident_id(key, 2)) is False


async def test_resolved_triggers_for_a_key_never_seen_start_nothing(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    key = f"test:{dev_worker.task_queue}"
    assert brief(await send(dev_env.client, dev_worker, trigger(key, ("a1", False)), trigger(key, ("a2", False)))) == [
        None,
        None,
    ]
    assert await exists(dev_env.client, keyed_incident_id(key, 1)) is False
    assert await find_open_incident(dev_env.client, key) is None


async def test_a_firing_trigger_after_a_dropped_one_opens_the_incident(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    key = f"test:{dev_worker.task_queue}"
    results = await send(dev_env.client, dev_worker, trigger(key, ("a1", False)), trigger(key, ("a1", True)))
    assert brief(results) == [None, (keyed_incident_id(key, 1), Status.TRIGGERED, 1, True)]


async def test_after_the_incident_closed_resolved_triggers_start_nothing_and_firing_ones_the_next(
    dev_env: WorkflowEnvironment, dev_worker: Worker
) -> None:
    client, key = dev_env.client, f"test:{dev_worker.task_queue}"
    first, second = keyed_incident_id(key, 1), keyed_incident_id(key, 2)
    await send(client, dev_worker, trigger(key, ("a1", True)))
    await act(client, first, IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="s", root_cause="r"))
    await client.get_workflow_handle_for(IncidentWorkflow.run, first).result()

    assert brief(await send(client, dev_worker, trigger(key, ("a1", False)))) == [None]
    assert await exists(client, second) is False
    assert brief(await send(client, dev_worker, trigger(key, ("a1", True)))) == [(second, Status.TRIGGERED, 1, True)]
    # The open incident is the second: a resolved trigger folds into it and resolves it.
    assert await find_open_incident(client, key) == second
    assert brief(await send(client, dev_worker, trigger(key, ("a1", False)))) == [(second, Status.RESOLVED, 2, False)]
