"""Full incident lifecycles per second with N in flight, beside a bare workflow running as many no-op activities.

    .venv/bin/python bench/throughput.py [--quick] [--incidents 200] [--concurrency 50]

Lifecycle: ``report_incident`` → ``classification`` → ``act(acknowledge)`` → ``act(resolve)`` → the workflow's
result (close, document). The floor runs, per workflow, as many no-op activities as one lifecycle's history shows.
Then the lifecycle runs again under cProfile (every thread of this process: the event loop and the workflow
threads) and the top functions are listed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats
import re
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from adapters.incident_client import act, classification, report_incident
from adapters.settings import Settings
from bench.common import (
    EXAMPLE_CATALOG,
    PAYMENTS_REPORT,
    ROOT,
    Receiver,
    append_results,
    dev_server,
    table,
)
from bench.floor import FloorInput, FloorWorkflow, floor_worker
from domain.messages.actions import AcknowledgeRequest, ResolveRequest
from domain.models import IncidentReport
from worker import running_worker
from workflows.incident import IncidentWorkflow

PROJECT_CODE = "^" + re.escape(str(ROOT)) + r"/(?!\.venv/)"
"""pstats restriction: files of this repository outside the virtualenv."""


class ThreadProfiler:
    """cProfile in every thread: the current one, and each thread that starts while it is on (workflow threads)."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def _bootstrap(self, frame: Any, event: str, arg: Any) -> None:
        profile = cProfile.Profile()
        with self._lock:
            self.profiles.append(profile)
        profile.enable()  # replaces this hook for the thread

    def __enter__(self) -> ThreadProfiler:
        threading.setprofile(self._bootstrap)
        main = cProfile.Profile()
        self.profiles.append(main)
        main.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        threading.setprofile(None)  # type: ignore[arg-type, unused-ignore]
        self.profiles[0].disable()

    def top(self, sort: str, count: int = 10, restrict: str | None = None) -> str:
        stats = pstats.Stats(self.profiles[0])
        for profile in self.profiles[1:]:
            stats.add(profile)
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(sort).print_stats(*([restrict] if restrict else []), count)
        lines = [line for line in out.getvalue().splitlines() if line.strip()]
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        return "\n".join(lines[start:])


async def lifecycle(client: Client, task_queue: str, report: IncidentReport) -> str:
    incident_id, handle = await report_incident(client, report, task_queue=task_queue, summary="bench")
    await classification(handle)
    await act(client, incident_id, IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))
    await act(
        client,
        incident_id,
        IncidentWorkflow.resolve,
        ResolveRequest(by="amara", summary="failed over", root_cause="bench"),
    )
    await handle.result()
    return incident_id


async def run_many(count: int, concurrency: int, one: Any) -> float:
    """Seconds to run ``one()`` ``count`` times with at most ``concurrency`` in flight."""
    gate = asyncio.Semaphore(concurrency)

    async def guarded() -> None:
        async with gate:
            await one()

    start = time.perf_counter()
    await asyncio.gather(*(guarded() for _ in range(count)))
    return time.perf_counter() - start


async def history_shape(client: Client, workflow_id: str) -> tuple[int, int]:
    """(activities scheduled, events) in a workflow's history."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    scheduled = sum(1 for event in history.events if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    return scheduled, len(history.events)


async def measure(count: int, concurrency: int, profiled: int) -> str:
    report = IncidentReport.model_validate(PAYMENTS_REPORT)
    async with dev_server() as env, Receiver() as receiver, httpx.AsyncClient() as floor_http:
        client = env.client
        settings = Settings.model_validate(
            {
                "catalog_path": EXAMPLE_CATALOG,
                "records_dir": Path(tempfile.mkdtemp(prefix="bench-records-")),
                "task_queue": f"bench-incidents-{uuid.uuid4()}",
                "webhook_url": receiver.url,
                "log_channel": False,
            }
        )
        floor_queue = f"bench-floor-{uuid.uuid4()}"
        async with running_worker(client, settings), floor_worker(client, floor_queue, floor_http):
            sample = await lifecycle(client, settings.task_queue, report)  # warm up, and the history to copy
            activities, events = await history_shape(client, sample)
            for _ in range(4):
                await lifecycle(client, settings.task_queue, report)

            async def floor_one() -> None:
                handle = await client.start_workflow(
                    FloorWorkflow.run, FloorInput(activities), id=f"floor-{uuid.uuid4()}", task_queue=floor_queue
                )
                await handle.result()

            await run_many(5, 5, floor_one)
            floor_handle = await client.start_workflow(
                FloorWorkflow.run, FloorInput(activities), id=f"floor-{uuid.uuid4()}", task_queue=floor_queue
            )
            await floor_handle.result()
            floor_activities, floor_events = await history_shape(client, floor_handle.id)

            floor_seconds = await run_many(count, concurrency, floor_one)
            print(f"floor: {count} in {floor_seconds:.1f} s", flush=True)
            incident_seconds = await run_many(
                count, concurrency, lambda: lifecycle(client, settings.task_queue, report)
            )
            print(f"incidents: {count} in {incident_seconds:.1f} s", flush=True)

            with ThreadProfiler() as profiler:
                profiled_seconds = await run_many(
                    profiled, concurrency, lambda: lifecycle(client, settings.task_queue, report)
                )
            print(f"profiled: {profiled} in {profiled_seconds:.1f} s", flush=True)

    floor_rate, incident_rate = count / floor_seconds, count / incident_seconds
    rows = [
        ["floor (bare workflow)", count, concurrency, floor_activities, floor_events, f"{floor_seconds:.1f}",
         f"{floor_rate:.1f}"],
        ["incident lifecycle", count, concurrency, activities, events, f"{incident_seconds:.1f}",
         f"{incident_rate:.1f}"],
    ]  # fmt: skip
    return (
        "Full lifecycles per second: `report_incident` → `classification` → `acknowledge` → `resolve` (both through "
        "`adapters.incident_client.act`: one update each) → result (close, document); the page goes to a "
        "local webhook receiver. The floor runs as many no-op activities, sequentially, per workflow.\n\n"
        + table(["path", "workflows", "in flight", "activities each", "history events", "wall s", "per s"], rows)
        + f"\n\nLifecycle ÷ floor throughput: **{incident_rate / floor_rate:.2f}** "
        f"(the floor is {floor_rate / incident_rate:.1f}× faster).\n\n"
        f"Profile of {profiled} more lifecycles ({profiled_seconds:.1f} s under cProfile, every Python thread of the "
        "process: event loop with worker, client and receiver, plus the workflow threads; the Rust core and the server "
        "are not in it). Top 10 by cumulative time:\n\n```\n"
        + profiler.top("cumulative")
        + "\n```\n\nTop 10 by own time:\n\n```\n"
        + profiler.top("tottime")
        + "\n```\n\nTop 10 by cumulative time among the project's own functions (not the SDK, not the stdlib):\n\n```\n"
        + profiler.top("cumulative", restrict=PROJECT_CODE)
        + "\n```"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 workflows, 20 in flight")
    parser.add_argument("--incidents", type=int)
    parser.add_argument("--concurrency", type=int)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    count = args.incidents or (60 if args.quick else 200)
    concurrency = args.concurrency or (20 if args.quick else 50)
    profiled = max(20, count // 2)
    body = asyncio.run(measure(count, concurrency, profiled))
    command = "python " + " ".join(sys.argv)
    append_results("Throughput: full lifecycles", args.quick, command, body)


if __name__ == "__main__":
    main()
