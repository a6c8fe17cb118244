"""Temporal's floor: a bare workflow that runs ``activities`` no-op activities one after another.

With ``url`` set, the first activity POSTs ``{"incident_id": <workflow id>}`` there (the latency floor: started by a
client call, one activity, one webhook request). No pydantic, no state, no timers: what any workflow pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import httpx
from temporalio.client import Client
from temporalio.worker import Worker

STEP_TIMEOUT = timedelta(seconds=30)


@dataclass
class FloorInput:
    activities: int
    url: str | None = None
    sleep_seconds: float = 0.0
    """Before the activities, one durable timer this long (the timer floor)."""
    stay_open: bool = False
    """After the activities, wait for the ``finish`` signal (taking ``bump`` updates meanwhile)."""


@dataclass
class FloorBatch:
    items: list[dict[str, object]]


@dataclass
class FloorStep:
    workflow_id: str
    index: int
    url: str | None = None


class FloorActivities:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    @activity.defn(name="floor_step")
    async def floor_step(self, step: FloorStep) -> None:
        if step.url is not None:
            response = await self._http.post(step.url, json={"incident_id": step.workflow_id, "index": step.index})
            response.raise_for_status()


@workflow.defn
class FloorWorkflow:
    def __init__(self) -> None:
        self._count = 0
        self._finished = False

    @workflow.run
    async def run(self, input: FloorInput) -> float:
        """Answers how late the timer fired, in seconds (0 without one)."""
        workflow_id = workflow.info().workflow_id
        lateness = 0.0
        if input.sleep_seconds > 0:
            started = workflow.now()
            await workflow.sleep(input.sleep_seconds)
            lateness = (workflow.now() - started).total_seconds() - input.sleep_seconds
        for index in range(input.activities):
            await workflow.execute_activity(
                "floor_step",
                FloorStep(workflow_id, index, input.url if index == 0 else None),
                start_to_close_timeout=STEP_TIMEOUT,
            )
        if input.stay_open:
            await workflow.wait_condition(lambda: self._finished)
        return lateness

    @workflow.update
    async def bump(self, batch: FloorBatch) -> int:
        self._count += len(batch.items)
        return self._count

    @workflow.signal
    def finish(self) -> None:
        self._finished = True


def floor_worker(client: Client, task_queue: str, http: httpx.AsyncClient) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[FloorWorkflow],
        activities=[FloorActivities(http).floor_step],
    )
