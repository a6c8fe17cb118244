"""The failover bench's machinery: worker processes killed and restarted, a receiver that times every page, the
catalog it runs, and the task timeouts its incidents saw."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from temporalio.api.enums.v1 import EventType, TaskQueueType, TimeoutType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowHandle

from activities.channels.signature import SIGNATURE_HEADER, verify_signature
from bench.common import EXAMPLE_CATALOG, ROOT, Receiver
from bench.failover_responders import (
    LEVELS,
    PASSES,
)


class PageReceiver(Receiver):
    """Checks signatures; notes the first arrival (wall clock) of every page by key, and repeats of a key."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}
        self.floor_due: dict[str, datetime] = {}
        self.repeats: Counter[str] = Counter()
        self.bad_signatures = 0

    def answer(self, headers: dict[str, str], body: bytes, now: float) -> int:
        wall = time.time()
        self.requests += 1
        key = headers.get("idempotency-key")
        if key is None:  # the floor's POST: unsigned, keyed by workflow and round
            data = json.loads(body)
            key = f"{data['incident_id']}:{data['round']}"
            self.floor_due[key] = datetime.fromisoformat(data["due"])
        elif not verify_signature(SECRET, headers.get(SIGNATURE_HEADER.lower(), ""), body, wall):
            self.bad_signatures += 1
            return 401
        if key in self.arrived:
            self.repeats[key] += 1
        else:
            self.arrived[key] = wall
        return 200


class Slot:
    """One machine's worth of workers: an incident worker and a floor worker, killed and restarted together."""

    def __init__(self, env: dict[str, str], floor_queue: str, sticky: float, directory: Path, name: str) -> None:
        self.env, self.floor_queue, self.sticky, self.directory, self.name = env, floor_queue, sticky, directory, name
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        commands = [
            [str(ROOT / "worker.py")],
            [str(ROOT / "bench" / "floor.py"), "--task-queue", self.floor_queue, "--sticky", str(self.sticky)],
        ]
        with (self.directory / f"slot-{self.name}.log").open("ab") as log:
            self.processes = [
                await asyncio.create_subprocess_exec(
                    sys.executable, *command, env=self.env, cwd=self.directory, stdout=log, stderr=log
                )
                for command in commands
            ]

    async def kill(self, killed: dict[int, float]) -> None:
        for process in self.processes:
            killed[process.pid] = time.time()
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGKILL)
            await process.wait()


async def polling(client: Client, slot: Slot, queues: list[str]) -> bool:
    """Both workers of ``slot`` have polled their workflow task queue."""
    for process, queue in zip(slot.processes, queues, strict=True):
        answer = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        if not any(poller.identity.startswith(f"{process.pid}@") for poller in answer.pollers):
            return False
    return True


SECRET = b"bench-failover-" + b"s" * 32


def failover_catalog(directory: Path, delay: int) -> Path:
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    policy = data["escalation_policies"]["payments-critical"]
    policy["repeat"] = PASSES - 1
    assert len(policy["levels"]) == LEVELS
    for level in policy["levels"]:
        level["delay"] = f"{delay}s"
    data["sla"]["P1"] = {"acknowledge": "1h", "resolve": "1d"}  # no SLA pages during the run
    path = directory / "failover-catalog.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


async def timeouts(handle: WorkflowHandle[Any, Any], killed: dict[int, float]) -> Counter[str]:
    """Workflow tasks and activities that timed out in this history, by what timed out.

    A sticky queue is named after its worker (``<pid>@<host>-…``): a task that timed out on the queue of a worker
    that was still alive (not yet killed, ``killed`` maps pid → wall clock of its kill) waited for a busy worker.
    """
    found: Counter[str] = Counter()
    queues: dict[int, str] = {}
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            queues[event.event_id] = event.workflow_task_scheduled_event_attributes.task_queue.name
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            attributes = event.workflow_task_timed_out_event_attributes
            if attributes.timeout_type != TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START:
                found["task"] += 1
                continue
            pid = queues.get(attributes.scheduled_event_id, "").partition("@")[0]
            at = event.event_time.ToDatetime(tzinfo=UTC).timestamp()
            dead = pid.isdigit() and killed.get(int(pid), at + 1) <= at
            found["sticky, dead" if dead else "sticky, alive"] += 1
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            kind = event.activity_task_timed_out_event_attributes.failure.timeout_failure_info.timeout_type
            found["heartbeat" if kind == TimeoutType.TIMEOUT_TYPE_HEARTBEAT else "activity"] += 1
    return found
