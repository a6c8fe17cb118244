"""Failover: workers SIGKILLed again and again while incidents escalate; how late do the pages that fall due arrive?

    .venv/bin/python bench/failover.py [--quick] [--incidents 40] [--delay 15] [--kill-every 6] [--sticky 1]

Two ``python worker.py`` processes on one task queue, N P1 incidents on shop-payments whose policy walks its three
levels twice, ``--delay`` apart (six pages, then the final owner), opened one after another across one delay so that
something falls due all the time. A signed webhook receiver in this process checks every request's signature and
notes when each page (by Idempotency-Key) first arrived. Every ``--kill-every`` seconds (±25 %) one of two worker
slots is SIGKILLed and started again at once, taking turns; the other slot is polling before it happens.

The floor, in the same run under the same kills: each slot also runs a floor worker (``python bench/floor.py``) on a
queue of its own, with as many bare workflows (``FloorWorkflow``) as incidents, each a timer due at the same moments
as an incident's pages, then an activity POSTing to the receiver. Reported: pages expected, received, missing and
repeated by key; lateness (first arrival − due) of every page a timer made due, and of those with a kill at most 5 s
before their due time or between it and their arrival; from the histories, workflow tasks that timed out on a dead
worker's sticky queue or while it ran them, and delivery attempts lost with their worker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml
from temporalio.api.enums.v1 import EventType, TaskQueueType, TimeoutType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowHandle

from activities.channels.signature import SIGNATURE_HEADER, verify_signature
from adapters.incident_client import report_incident
from adapters.settings import Settings
from bench.common import EXAMPLE_CATALOG, PAYMENTS_REPORT, ROOT, Receiver, append_results, dev_server, percentile
from bench.common import table as markdown_table
from bench.floor import FloorInput, FloorWorkflow
from domain.messages.actions import ResolveRequest
from domain.models import IncidentReport
from domain.policy.notification_retries import HEARTBEAT_TIMEOUT, idempotency_key
from domain.views.record import IncidentRecord
from workflows.incident import IncidentWorkflow

SECRET = b"bench-failover-" + b"s" * 32
PASSES = 2
LEVELS = 3
TIMER_PAGES = [*(f"page-{n}" for n in range(1, PASSES * LEVELS)), "exhausted"]
"""What a timer makes due, in order, one ``--delay`` apart after page-0 (paged at once)."""
AFTER_KILL = 5.0
KINDS = ("sticky, dead", "sticky, alive", "task", "heartbeat", "activity")


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


def page_counts(keys: set[str], receiver: PageReceiver) -> list[object]:
    """Expected, received, missing, and keys that came more than once (with the number of repeated requests)."""
    received = keys & set(receiver.arrived)
    repeated = {key: n for key, n in receiver.repeats.items() if key in keys}
    return [len(keys), len(received), len(keys - received), f"{len(repeated)} ({sum(repeated.values())})"]


def row(name: str, late: list[float]) -> list[object]:
    if not late:
        return [name, 0, "–", "–", "–"]
    return [name, len(late), *(f"{value:.2f}" for value in (percentile(late, 50), percentile(late, 99), max(late)))]


async def measure(count: int, delay: int, kill_every: float, sticky: float, seed: int) -> str:
    directory = Path(tempfile.mkdtemp(prefix="bench-failover-"))
    rng = random.Random(seed)
    report = IncidentReport.model_validate(PAYMENTS_REPORT)
    queue, floor_queue = f"bench-failover-{uuid.uuid4()}", f"bench-failover-floor-{uuid.uuid4()}"
    kills: list[float] = []
    killed: dict[int, float] = {}
    async with dev_server() as server, PageReceiver() as receiver:
        client = server.client
        env = {
            **os.environ,
            "TEMPORAL_ADDRESS": client.service_client.config.target_host,
            "TEMPORAL_NAMESPACE": "default",
            "INCIDENTS_TASK_QUEUE": queue,
            "INCIDENTS_CATALOG_PATH": str(failover_catalog(directory, delay)),
            "INCIDENTS_RECORDS_DIR": str(directory / "records"),
            "INCIDENTS_WEBHOOK_URL": receiver.url,
            "INCIDENTS_WEBHOOK_SECRET": SECRET.decode(),
            "INCIDENTS_LOG_CHANNEL": "false",
            "INCIDENTS_STICKY_SCHEDULE_TO_START_TIMEOUT_SECONDS": str(sticky),
        }
        slots = [Slot(env, floor_queue, sticky, directory, name) for name in "AB"]
        for slot in slots:
            await slot.start()
        loop = asyncio.get_running_loop()
        try:
            for slot in slots:
                while not await polling(client, slot, [queue, floor_queue]):
                    await asyncio.sleep(0.2)
            began = loop.time()
            last_due = began + delay + len(TIMER_PAGES) * delay

            async def kill_repeatedly() -> None:
                turn = 0
                while loop.time() < last_due + 2:
                    await asyncio.sleep(kill_every * rng.uniform(0.75, 1.25))
                    victim, other = slots[turn % 2], slots[(turn + 1) % 2]
                    while not await polling(client, other, [queue, floor_queue]):  # never both down at once
                        await asyncio.sleep(0.1)
                    await victim.kill(killed)
                    kills.append(time.time())
                    print(f"kill {len(kills)}: slot {victim.name} at +{loop.time() - began:.1f} s", flush=True)
                    await victim.start()
                    turn += 1

            killer = asyncio.create_task(kill_repeatedly())
            incidents: list[WorkflowHandle[Any, Any]] = []
            floors: list[WorkflowHandle[Any, Any]] = []
            for number in range(count):
                await asyncio.sleep(max(0.0, began + number * delay / count - loop.time()))
                _, handle = await report_incident(client, report, task_queue=queue, summary="bench failover")
                incidents.append(handle)
                floor_input = FloorInput(
                    1,
                    url=receiver.url,
                    sleep_seconds=delay,
                    timers=len(TIMER_PAGES),
                    heartbeat_timeout_seconds=HEARTBEAT_TIMEOUT.total_seconds(),
                )
                floors.append(
                    await client.start_workflow(
                        FloorWorkflow.run, floor_input, id=f"floor-{uuid.uuid4()}", task_queue=floor_queue
                    )
                )
            await killer
            incident_keys = {
                idempotency_key(h.id, step, "webhook") for h in incidents for step in ["page-0", *TIMER_PAGES]
            }
            floor_keys = {f"{h.id}:{number}" for h in floors for number in range(len(TIMER_PAGES))}
            expected = incident_keys | floor_keys
            give_up = loop.time() + 60
            while not expected <= set(receiver.arrived) and loop.time() < give_up:
                await asyncio.sleep(0.5)
            resolve = ResolveRequest(by="amara", summary="bench", root_cause="workers killed")
            for handle in incidents:
                await handle.execute_update(IncidentWorkflow.resolve, resolve)
            records: list[IncidentRecord] = [await asyncio.wait_for(h.result(), 60) for h in incidents]
            for handle in floors:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(handle.result(), 30)
            incident_timeouts, floor_timeouts = Counter[str](), Counter[str]()
            for handle in incidents:
                incident_timeouts += await timeouts(handle, killed)
            for handle in floors:
                floor_timeouts += await timeouts(handle, killed)
        finally:
            for slot in slots:
                await slot.kill({})

    def after_kill(due: float, arrival: float) -> bool:
        """A kill came at most AFTER_KILL s before it fell due, or after it fell due but before it arrived."""
        return any(due - AFTER_KILL <= kill <= arrival for kill in kills)

    late: list[float] = []
    late_after_kill: list[float] = []
    for record in records:
        for step_number, step in enumerate(TIMER_PAGES, start=1):
            key = idempotency_key(record.incident_id, step, "webhook")
            due = (record.opened_at + timedelta(seconds=delay * step_number)).timestamp()
            if key in receiver.arrived:
                late.append(receiver.arrived[key] - due)
                if after_kill(due, receiver.arrived[key]):
                    late_after_kill.append(late[-1])
    floor_late = [receiver.arrived[key] - due.timestamp() for key, due in receiver.floor_due.items()]
    floor_after_kill = [
        receiver.arrived[key] - due.timestamp()
        for key, due in receiver.floor_due.items()
        if after_kill(due.timestamp(), receiver.arrived[key])
    ]
    missing = sorted(expected - set(receiver.arrived))
    lost_attempts = sum(
        1 for record in records for entry in record.timeline if "went silent" in entry.message
    )  # timeline messages of retried lost attempts
    body = (
        f"{count} P1 incidents, each walking 3 levels twice {delay} s apart (6 pages and the final owner), opened "
        f"across {delay} s; two worker slots (`python worker.py` and a floor worker each) on one dev server; "
        f"{len(kills)} SIGKILLs, one every {kill_every:g} s ± 25 %, the slots taking turns, each restarted at once. "
        f"Sticky schedule-to-start timeout {sticky:g} s, delivery heartbeat timeout "
        f"{HEARTBEAT_TIMEOUT.total_seconds():g} s.\n\n"
        + markdown_table(
            ["pages", "expected", "received", "missing", "keys repeated (requests)", "bad signatures"],
            [
                [
                    "incidents (escalations, final owner)",
                    *page_counts(incident_keys, receiver),
                    receiver.bad_signatures,
                ],
                ["floor (timer → activity POST)", *page_counts(floor_keys, receiver), "–"],
            ],
        )
        + "\n\nLateness of what a timer made due: first arrival at the receiver − due time, in seconds:\n\n"
        + markdown_table(
            ["pages", "n", "p50 s", "p99 s", "max s"],
            [
                row("incidents: every timer-driven page", late),
                row(f"incidents: a kill ≤ {AFTER_KILL:g} s before due, or before arrival", late_after_kill),
                row("floor: every timer", floor_late),
                row(f"floor: a kill ≤ {AFTER_KILL:g} s before due, or before arrival", floor_after_kill),
            ],
        )
        + "\n\nWhat the kills cost, from the histories: workflow tasks that timed out on a sticky queue "
        "(schedule-to-start) of a worker killed by then or of one still alive (busy: a needless move to another "
        "worker), or while a worker that died ran them (start-to-close); activities timed out by their heartbeat:\n\n"
        + markdown_table(
            ["", "sticky, dead worker", "sticky, live worker", "task timeouts", "heartbeat", "other activity"],
            [
                ["incidents", *(incident_timeouts[k] for k in KINDS)],
                ["floor", *(floor_timeouts[k] for k in KINDS)],
            ],
        )
        + f"\n\nDelivery attempts lost with their worker and retried at once (on the incidents' timelines): "
        f"{lost_attempts}."
        + (f" Missing: {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}." if missing else "")
    )
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 incidents, 8 s levels (about 2 minutes)")
    parser.add_argument("--incidents", type=int)
    parser.add_argument("--delay", type=int, help="seconds between escalation levels")
    parser.add_argument("--kill-every", type=float, default=6.0, help="seconds between kills (± 25 %%)")
    parser.add_argument("--sticky", type=float, help="the workers' sticky schedule-to-start timeout, seconds")
    parser.add_argument("--seed", type=int, default=10, help="seeds the kill schedule's jitter")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    count = args.incidents or (20 if args.quick else 40)
    delay = args.delay or (8 if args.quick else 15)
    sticky = args.sticky if args.sticky is not None else Settings().sticky_schedule_to_start_timeout_seconds
    body = asyncio.run(measure(count, delay, args.kill_every, sticky, args.seed))
    append_results("Failover: workers SIGKILLed while incidents escalate", args.quick,
                   "python " + " ".join(sys.argv), body)  # fmt: skip


if __name__ == "__main__":
    main()
