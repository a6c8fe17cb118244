"""Responders act inside the failover window: a worker is SIGKILLed just before a level falls due, a responder
acknowledges or resolves after it fell due but before another worker has taken the incident over.

The next worker gets the overdue timer and the action in one workflow task. Whatever fell due before the action must
be applied first: on the timeline and in the record at its due time, paged exactly once (the page was owed at its due
time, so it still goes out after the action); nothing due after the action is paged.

Two worker processes on one task queue, four incidents, two rounds. The failover window is the sticky
schedule-to-start timeout of the worker that died (``INCIDENTS_STICKY_SCHEDULE_TO_START_TIMEOUT_SECONDS``), widened
here to ``WINDOW`` so that the responders surely act inside it:

1. Worker A runs all four incidents (B starts only once level 1 is paged, so every incident's task sits on A's
   sticky queue). A is killed 1.5 s before level 2 falls due; after it fell due, incident 0 is acknowledged by signal
   and incident 1 by update; B takes over when the window ends.
2. A new worker C starts; B, which now holds every incident, is killed 1.5 s before level 3 falls due; after it
   fell due, incident 2 is resolved by signal and incident 3 by update; C takes over.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.messages.actions import AcknowledgeRequest, ActionResult, ResolveRequest
from domain.policy.notification_retries import idempotency_key
from domain.views.record import IncidentRecord
from tests.support.catalogs import fast_catalog
from tests.support.incidents import start, status
from tests.support.processes import polling, sigkill, spawn_worker, wait_until, worker_env
from tests.support.receiver import Receiver
from workflows.incident import IncidentWorkflow

LEVEL_DELAY = timedelta(seconds=15)
WINDOW = 5
"""Seconds a dead worker's sticky queue holds the incident's next task before another worker may take it."""
KILL_BEFORE_DUE = 1.5
ACT_AFTER_DUE = 0.5

ACKNOWLEDGE = AcknowledgeRequest(by="amara")
RESOLVE = ResolveRequest(by="amara", summary="failed over", root_cause="worker killed")


async def sleep_until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


async def kill_holding(worker: asyncio.subprocess.Process, handles: list[WorkflowHandle[Any, Any]]) -> None:
    """SIGKILL the worker that holds the incidents, right after it answered a query for each.

    The server hands a task straight to the normal queue when the sticky queue has not been polled for 10 s; a busy
    worker polls it all the time. The queries make this one as recently seen as a busy one.
    """
    for handle in handles:
        await status(handle)
    await sigkill(worker)


async def until_polling(client: Client, task_queue: str, worker: asyncio.subprocess.Process, before: datetime) -> None:
    """Wait until ``worker`` polls the queue; the scenario needs it there before the other worker is killed."""
    while not await polling(client, task_queue, worker):
        assert datetime.now(UTC) < before, "the standby worker did not poll before the kill: the scenario did not run"
        await asyncio.sleep(0.1)


async def test_actions_inside_the_failover_window_come_after_what_fell_due_before_them(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = dev_env.client
    task_queue = f"incidents-failover-{uuid.uuid4()}"
    processes: list[asyncio.subprocess.Process] = []
    handles: list[WorkflowHandle[Any, Any]] = []
    async with Receiver() as receiver:
        env = worker_env(
            client.service_client.config.target_host,
            task_queue,
            fast_catalog(tmp_path, delay=f"{LEVEL_DELAY.seconds}s"),
            tmp_path / "records",
            receiver.url("/pages"),
            sticky_schedule_to_start_timeout_seconds=str(WINDOW),
            log_channel="false",
        )

        def delivered(step: str, *which: int) -> bool:
            return all(receiver.deliveries[idempotency_key(handles[i].id, step, "webhook")] == 1 for i in which)

        def none_delivered(step: str, *which: int) -> bool:
            return all(receiver.attempts(idempotency_key(handles[i].id, step, "webhook")) == 0 for i in which)

        async def act_inside_window(
            signal: Callable[[], Awaitable[None]], update: Callable[[], Awaitable[ActionResult]], step: str
        ) -> asyncio.Task[ActionResult]:
            """The signal, then the update (which a worker answers only once it took the incident over)."""
            assert none_delivered(step, 0, 1, 2, 3), "a worker took the incidents over before the responders acted"
            await signal()
            answer = asyncio.create_task(update())
            await asyncio.sleep(0.5)
            assert none_delivered(step, 0, 1, 2, 3), "a worker took the incidents over while the responders acted"
            return answer

        try:
            processes.append(await spawn_worker(env, tmp_path))  # A
            handles.extend([await start(client, task_queue) for _ in range(4)])
            await wait_until(lambda: delivered("page-0", 0, 1, 2, 3), 30, "level 1 pages")
            opened = [(await status(handle)).opened_at for handle in handles]
            due_2 = [moment + LEVEL_DELAY for moment in opened]
            due_3 = [moment + 2 * LEVEL_DELAY for moment in opened]

            # Round 1: A dies just before level 2 falls due; responders act once it fell due; B takes over.
            processes.append(await spawn_worker(env, tmp_path))  # B
            kill_at = min(due_2) - timedelta(seconds=KILL_BEFORE_DUE)
            await until_polling(client, task_queue, processes[1], before=kill_at)
            await sleep_until(kill_at)
            await kill_holding(processes[0], handles)
            await sleep_until(max(due_2) + timedelta(seconds=ACT_AFTER_DUE))
            acknowledged = await act_inside_window(
                lambda: handles[0].signal(IncidentWorkflow.acknowledge_signal, ACKNOWLEDGE),
                lambda: handles[1].execute_update(IncidentWorkflow.acknowledge, ACKNOWLEDGE),
                "page-1",
            )
            await wait_until(lambda: delivered("page-1", 2, 3), 30, "B taking level 2 over")
            await asyncio.wait_for(acknowledged, timeout=30)

            # Round 2: C starts; B dies just before level 3 falls due; responders resolve once it fell due.
            processes.append(await spawn_worker(env, tmp_path))  # C
            kill_at = min(due_3) - timedelta(seconds=KILL_BEFORE_DUE)
            await until_polling(client, task_queue, processes[2], before=kill_at)
            await sleep_until(kill_at)
            await kill_holding(processes[1], handles)
            await sleep_until(max(due_3) + timedelta(seconds=ACT_AFTER_DUE))
            resolved = await act_inside_window(
                lambda: handles[2].signal(IncidentWorkflow.resolve_signal, RESOLVE),
                lambda: handles[3].execute_update(IncidentWorkflow.resolve, RESOLVE),
                "page-2",
            )
            await asyncio.wait_for(resolved, timeout=30)
            for handle in handles[:2]:
                await asyncio.wait_for(handle.execute_update(IncidentWorkflow.resolve, RESOLVE), timeout=30)
            records: list[IncidentRecord] = [await asyncio.wait_for(handle.result(), timeout=30) for handle in handles]
        finally:
            for process in processes:
                await sigkill(process)
            for handle in handles:
                with contextlib.suppress(Exception):
                    await handle.terminate("test finished")

    # Acknowledged in round 1 (0, 1): levels 1 and 2 fell due before; resolved in round 2 (2, 3): levels 1 to 3.
    levels_due = {0: 2, 1: 2, 2: 3, 3: 3}
    by_incident = dict(enumerate(records))
    # (index, level, due as an offset from opening, by) of every escalation, in the record and on the timeline
    assert {
        number: [(e.index, e.level, e.due - record.opened_at, e.by) for e in record.escalations]
        for number, record in by_incident.items()
    } == {number: [(n, n + 1, n * LEVEL_DELAY, None) for n in range(levels)] for number, levels in levels_due.items()}
    assert {
        number: [
            (e.data["index"], e.data["level"], datetime.fromisoformat(e.data["due"]) - record.opened_at)
            for e in record.timeline
            if e.kind == "escalation.level_paged"
        ]
        for number, record in by_incident.items()
    } == {number: [(n, n + 1, n * LEVEL_DELAY) for n in range(levels)] for number, levels in levels_due.items()}

    # Paged exactly once per level that fell due before the action, then the resolution; nothing else.
    expected = {
        idempotency_key(handles[number].id, step, "webhook"): 1
        for number, levels in levels_due.items()
        for step in [*(f"page-{n}" for n in range(levels)), "resolved"]
    }
    assert dict(receiver.deliveries) == expected
    assert set(receiver.duplicates) <= set(expected)
    assert all(request.status == 200 for request in receiver.requests)

    for number, record in by_incident.items():
        kinds = [e.kind for e in record.timeline]
        assert "escalation.exhausted" not in kinds
        last_level = max(i for i, kind in enumerate(kinds) if kind == "escalation.level_paged")
        action = kinds.index("incident.acknowledged" if number < 2 else "incident.resolved")
        assert last_level < action, f"incident {number}: the action was recorded before the level that fell due first"
        last_due = record.opened_at + (levels_due[number] - 1) * LEVEL_DELAY
        assert record.timeline[action].at >= last_due
        assert record.timeline[action].actor == "amara"
        webhook = sorted((d.step, d.outcome) for d in record.notifications if d.channel == "webhook")
        assert webhook == sorted(
            [*((f"page-{n}", "delivered") for n in range(levels_due[number])), ("resolved", "delivered")]
        )
    for number in (0, 1):
        record = by_incident[number]
        assert record.acknowledged_by == "amara"
        assert record.acknowledged_at is not None and record.acknowledged_at >= record.opened_at + LEVEL_DELAY
        assert record.escalation_exhausted is False
    for number in (2, 3):
        record = by_incident[number]
        assert record.acknowledged_at is None
        assert record.resolved_at is not None and record.resolved_at >= record.opened_at + 2 * LEVEL_DELAY
