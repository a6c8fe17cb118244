"""Many open incidents with live SLA and escalation timers on one worker: memory, and how late timers fire together.

    .venv/bin/python bench/scale.py [--quick] [--incidents 10000] [--delay 240]

Opens N P1 incidents on shop-payments with a catalog whose every escalation level waits ``--delay`` from the level
before (no repeat), so level 2 of every incident falls due within the few seconds it took to open them all. Reports
the RSS of this process (worker, client, load generator) and of the dev server, and the lateness of the level-2 page:
the timeline entry's ``at`` (workflow time of the task that fired it) minus its ``due``. Pages go to no channel.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import yaml
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from adapters.incident_client import get_status, report_incident
from adapters.settings import Settings
from bench.common import (
    EXAMPLE_CATALOG,
    PAYMENTS_REPORT,
    WorkerHealth,
    append_results,
    dev_server,
    dev_server_pid,
    ms,
    percentile,
    rss_mib,
    table,
)
from bench.floor import FloorInput, FloorWorkflow, floor_worker
from domain.models import IncidentReport
from worker import running_worker

OPEN_CONCURRENCY = 100
QUERY_CONCURRENCY = 20


def slow_catalog(directory: Path, delay_seconds: int) -> Path:
    """The example catalog with every payments-critical level ``delay_seconds`` long and no repeat."""
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    policy = data["escalation_policies"]["payments-critical"]
    policy["repeat"] = 0
    for level in policy["levels"]:
        level["delay"] = f"{delay_seconds}s"
    path = directory / "scale-catalog.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


async def level_two_lateness(client: object, incident_id: str) -> float | None:
    view = await get_status(client, incident_id)  # type: ignore[arg-type]
    for entry in view.timeline:
        if entry.kind == "escalation.level_paged" and entry.data.get("level") == 2:
            return (entry.at - datetime.fromisoformat(str(entry.data["due"]))).total_seconds()
    return None


async def measure(count: int, delay: int, sample: int, cache: int, workflow_tasks: int) -> str:
    report = IncidentReport.model_validate(PAYMENTS_REPORT)
    directory = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    memory: list[list[object]] = []
    async with dev_server() as env:
        client = env.client
        server = dev_server_pid()

        def note(moment: str) -> None:
            server_rss = f"{rss_mib(server):.0f}" if server else "?"
            memory.append([moment, f"{rss_mib():.0f}", server_rss])
            print(memory[-1], flush=True)

        note("server up, no worker")
        settings = Settings.model_validate(
            {
                "catalog_path": slow_catalog(directory, delay),
                "records_dir": directory / "records",
                "task_queue": f"bench-scale-{uuid.uuid4()}",
                "log_channel": False,
                "max_cached_workflows": cache,
                "max_concurrent_workflow_tasks": workflow_tasks,
            }
        )
        async with running_worker(client, settings):
            with WorkerHealth() as health:
                note("worker started")
                gate = asyncio.Semaphore(OPEN_CONCURRENCY)
                ids: list[str] = []

                async def open_one() -> None:
                    async with gate:
                        incident_id, _ = await report_incident(
                            client, report, task_queue=settings.task_queue, summary="bench scale"
                        )
                        ids.append(incident_id)

                began = time.perf_counter()
                await asyncio.gather(*(open_one() for _ in range(count)))
                opened_in = time.perf_counter() - began
                print(f"{count} started in {opened_in:.1f} s", flush=True)
                if opened_in > delay * 0.8:
                    print("warning: opening took most of --delay; timers will not all fall due together", flush=True)
                # level 2 of the last one falls due at began + opened_in + delay; give the worker time to catch up
                await asyncio.sleep(max(0.0, began + delay - 5 - time.perf_counter()))
                note(f"{count} open, before level 2 falls due")
                await asyncio.sleep(opened_in + 15)
                note(f"{count} open, after level 2 fell due")

                picked = ids[:: max(1, len(ids) // sample)][:sample]
                query_gate = asyncio.Semaphore(QUERY_CONCURRENCY)

                async def lateness(incident_id: str) -> float | None:
                    async with query_gate:
                        try:
                            return await level_two_lateness(client, incident_id)
                        except RPCError as error:  # a query can time out while the worker is busy
                            query_errors.append(error.message)
                            return None

                found: dict[str, float] = {}
                query_errors: list[str] = []
                rounds = 0
                give_up = time.perf_counter() + max(delay, count / 10)  # a burst drains at tens of timers per second
                while len(found) < len(picked) and time.perf_counter() < give_up:
                    missing = [incident_id for incident_id in picked if incident_id not in found]
                    results = await asyncio.gather(*(lateness(incident_id) for incident_id in missing))
                    found.update({i: value for i, value in zip(missing, results, strict=True) if value is not None})
                    rounds += 1
                    print(f"query round {rounds}: {len(found)}/{len(picked)} paged", flush=True)
                    if len(found) < len(picked):
                        await asyncio.sleep(5)
                all_paged_after = time.perf_counter() - (began + opened_in + delay)
                late = list(found.values())
                note("after the status queries")

        # ---- the floor: as many bare workflows, each one durable timer of the same delay ------------------
        floor_queue = f"bench-floor-{uuid.uuid4()}"
        async with httpx.AsyncClient() as floor_http, floor_worker(client, floor_queue, floor_http):
            handles = []

            async def open_floor() -> None:
                async with gate:
                    handles.append(
                        await client.start_workflow(
                            FloorWorkflow.run,
                            FloorInput(0, sleep_seconds=delay),
                            id=f"floor-{uuid.uuid4()}",
                            task_queue=floor_queue,
                        )
                    )

            floor_began = time.perf_counter()
            await asyncio.gather(*(open_floor() for _ in range(count)))
            floor_opened_in = time.perf_counter() - floor_began
            await asyncio.sleep(max(0.0, floor_began + delay - 5 - time.perf_counter()))
            note(f"+ {count} bare workflows, each a timer")
            result_gate = asyncio.Semaphore(QUERY_CONCURRENCY)  # each result is a long poll: the server caps them

            async def floor_result(handle: WorkflowHandle[Any, float]) -> float:
                async with result_gate:
                    return await handle.result()

            floor_late = list(await asyncio.gather(*(floor_result(handle) for handle in handles)))
            floor_drained_after = time.perf_counter() - (floor_began + floor_opened_in + delay)
            note("bare timers fired")
    floor_row = [
        f"floor: {count} bare workflows",
        len(floor_late),
        ms(percentile(floor_late, 50)),
        ms(percentile(floor_late, 99)),
        ms(max(floor_late)),
        f"{floor_drained_after:.1f} (exact)",
    ]
    body = (
        f"{count} open P1 incidents on one worker (`max_cached_workflows` {cache}, `max_concurrent_workflow_tasks` "
        f"{workflow_tasks}), every escalation level {delay} s; "
        f"opening them took {opened_in:.1f} s ({count / opened_in:.0f}/s, {OPEN_CONCURRENCY} in flight). "
        "RSS in MiB from /proc/<pid>/status (this process holds the worker, the client and the load generator):\n\n"
        + table(["moment", "this process MiB", "dev server MiB"], memory)
        + f"\n\nWhile the incidents ran: {health.summary()}."
        + f"\n\nLevel-2 page lateness (timeline `at` − `due`), queried on {len(picked)} incidents "
        f"({len(picked) - len(late)} still not paged when the script gave up; the last of them was seen paged "
        f"{all_paged_after:.1f} s after the last level 2 fell due, in {rounds} rounds of queries; "
        f"{len(query_errors)} queries failed and were retried in the next round):\n\n"
        + table(
            ["timers", "fired", "p50 ms", "p99 ms", "max ms", "all visible s after last due"],
            [
                [
                    f"incidents: {count} level-2 pages",
                    len(late),
                    ms(percentile(late, 50)),
                    ms(percentile(late, 99)),
                    ms(max(late) if late else float("nan")),
                    f"≤ {all_paged_after:.1f} (polled every ~5 s)",
                ],
                floor_row,
            ],
        )
        + "\n\nLateness is in workflow time: `workflow.now()` of the task that handled the timer, which is when the "
        "worker *polled* that task. A worker busy with a backlog has already polled tasks it has not run yet, so the "
        "last column (wall clock, until a `get_status` query shows the page, or until the bare workflow's result "
        "arrives) is the better measure of how long the burst took to drain."
        + "\n\nThe level-2 timers of all incidents fall due within the "
        f"{opened_in:.1f} s it took to open them, so this lateness is that of a burst of {count} timers at "
        f"≈{count / opened_in:.0f}/s."
    )
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 incidents, 60 s delay")
    parser.add_argument("--incidents", type=int)
    parser.add_argument("--delay", type=int, help="seconds per escalation level (must exceed the time to open all)")
    parser.add_argument("--sample", type=int, default=1000, help="incidents whose lateness is queried")
    parser.add_argument("--cache", type=int, help="the worker's max_cached_workflows (default: the setting's default)")
    parser.add_argument("--workflow-tasks", type=int, help="the worker's max_concurrent_workflow_tasks")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    count = args.incidents or (1000 if args.quick else 10_000)
    delay = args.delay or (60 if args.quick else 240)
    defaults = Settings()
    cache = args.cache if args.cache is not None else defaults.max_cached_workflows
    workflow_tasks = args.workflow_tasks or defaults.max_concurrent_workflow_tasks
    body = asyncio.run(measure(count, delay, args.sample, cache, workflow_tasks))
    append_results("Scale: open incidents with live timers", args.quick,
                   "python " + " ".join(sys.argv), body)  # fmt: skip


if __name__ == "__main__":
    main()
