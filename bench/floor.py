"""Temporal's floor: a bare workflow that runs ``activities`` no-op activities one after another.

With ``url`` set, the first activity POSTs ``{"incident_id": <workflow id>}`` there (the latency floor: started by a
client call, one activity, one webhook request). No pydantic, no state, no timers: what any workflow pays.

With ``timers`` > 1 it does that several times, each after a timer due ``sleep_seconds`` after the previous one was
due, and the POST carries the round and its due time (the failover floor). ``python bench/floor.py --task-queue Q``
runs a floor worker as a process of its own, so that it can be killed (``bench/failover.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

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
    timers: int = 1
    """Rounds of (timer, activities); the POST of a round after the first names its round and due time."""
    heartbeat_timeout_seconds: float | None = None
    """The activities' heartbeat timeout (an attempt whose worker died is then timed out this soon)."""


@dataclass
class FloorBatch:
    items: list[dict[str, object]]


@dataclass
class FloorStep:
    workflow_id: str
    index: int
    url: str | None = None
    round: int = 0
    due: str | None = None


class FloorActivities:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    @activity.defn(name="floor_step")
    async def floor_step(self, step: FloorStep) -> None:
        if step.url is not None:
            body: dict[str, object] = {"incident_id": step.workflow_id, "index": step.index}
            if step.due is not None:
                body.update(round=step.round, due=step.due)
            response = await self._http.post(step.url, json=body)
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
        started = workflow.now()
        heartbeat = (
            None if input.heartbeat_timeout_seconds is None else timedelta(seconds=input.heartbeat_timeout_seconds)
        )
        for number in range(input.timers):
            due = started + timedelta(seconds=input.sleep_seconds * (number + 1))
            if number == 0 and input.sleep_seconds > 0:
                await workflow.sleep(input.sleep_seconds)
                lateness = (workflow.now() - started).total_seconds() - input.sleep_seconds
            elif due > workflow.now():
                await workflow.sleep(due - workflow.now())
            for index in range(input.activities):
                url = input.url if index == 0 else None
                await workflow.execute_activity(
                    "floor_step",
                    FloorStep(workflow_id, index, url, number, due.isoformat() if input.timers > 1 else None),
                    start_to_close_timeout=STEP_TIMEOUT,
                    heartbeat_timeout=heartbeat,
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


def floor_worker(
    client: Client, task_queue: str, http: httpx.AsyncClient, sticky: timedelta = timedelta(seconds=10)
) -> Worker:
    """``sticky``: the worker's sticky schedule-to-start timeout (the SDK's default unless given)."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[FloorWorkflow],
        activities=[FloorActivities(http).floor_step],
        sticky_queue_schedule_to_start_timeout=sticky,
    )


async def serve(task_queue: str, sticky: timedelta) -> None:
    """A floor worker until the process is killed, on the server at TEMPORAL_ADDRESS."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from adapters.codec import data_converter

    address = os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
    client = await Client.connect(address, namespace="default", data_converter=data_converter(None))
    async with httpx.AsyncClient() as http:
        await floor_worker(client, task_queue, http, sticky).run()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a floor worker (FloorWorkflow) until killed.")
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--sticky", type=float, default=10.0, help="sticky schedule-to-start timeout, seconds")
    args = parser.parse_args()
    asyncio.run(serve(args.task_queue, timedelta(seconds=args.sticky)))


if __name__ == "__main__":
    main()
