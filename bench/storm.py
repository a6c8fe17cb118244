"""An alert storm: thousands of duplicate triggers for one key, folded into one incident.

    .venv/bin/python bench/storm.py [--quick] [--triggers 10000] [--http 2000]

All triggers are handed to one ``TriggerSender`` at once (as the API's gateway does); it keeps one update in flight
per key and batches the rest. Reported: triggers accepted per second, the time until the incident's count reflects
all of them (the ``TriggerResult`` of the last trigger; the status view shows no count), the update round trips, and
the history length of every run in the continue-as-new chain. Floor: a bare workflow taking the same number of
updates, one in flight, each carrying a batch of the same size. Then the same storm, smaller, through
``POST /v2/enqueue`` with 50 requests in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from adapters.keyed_triggers import TriggerSender, keyed_incident_id, trigger_incident
from adapters.settings import Settings
from api.server import running_api
from bench.common import (
    EXAMPLE_CATALOG,
    PAGERDUTY_KEY,
    PAYMENTS_REPORT,
    append_results,
    dev_server,
    free_port,
    table,
)
from bench.floor import FloorBatch, FloorInput, FloorWorkflow, floor_worker
from domain.messages.actions import TriggerRequest
from domain.models import IncidentReport
from worker import running_worker

HTTP_IN_FLIGHT = 50


async def chain(client: Client, workflow_id: str) -> list[tuple[int, int]]:
    """(events, accepted updates) of every run of ``workflow_id``, first run first."""
    latest = await client.get_workflow_handle(workflow_id).fetch_history()
    run_id = latest.events[0].workflow_execution_started_event_attributes.first_execution_run_id
    runs = []
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        updates = sum(
            1 for event in history.events if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        )
        runs.append((len(history.events), updates))
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
            else ""
        )
    return runs


def runs_text(runs: list[tuple[int, int]]) -> str:
    return ", ".join(str(events) for events, _ in runs)


async def measure(count: int, http_count: int) -> str:
    report = IncidentReport.model_validate(PAYMENTS_REPORT)
    port = free_port()
    async with dev_server() as env, httpx.AsyncClient() as floor_http:
        client = env.client
        settings = Settings.model_validate(
            {
                "catalog_path": EXAMPLE_CATALOG,
                "records_dir": Path(tempfile.mkdtemp(prefix="bench-records-")),
                "task_queue": f"bench-storm-{uuid.uuid4()}",
                "log_channel": False,
                "integrations": [{"name": "bench", "kind": "pagerduty", "key": PAGERDUTY_KEY}],
                "api_port": port,
            }
        )
        floor_queue = f"bench-floor-{uuid.uuid4()}"
        limits = httpx.Limits(max_connections=HTTP_IN_FLIGHT, max_keepalive_connections=HTTP_IN_FLIGHT)
        async with (
            running_worker(client, settings),
            floor_worker(client, floor_queue, floor_http),
            running_api(settings, client, port=port),
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=120) as api,
        ):
            # ---- TriggerSender -----------------------------------------------------------------------
            key = f"bench:storm:{uuid.uuid4()}"
            incident_id = keyed_incident_id(key, 1)
            sender = TriggerSender(client, settings.task_queue)

            def trigger(index: int) -> TriggerRequest:
                return TriggerRequest(
                    source="bench",
                    dedup_key=key,
                    summary="Checkout error rate above 20%",
                    payload={"index": index, "value": 0.2 + index * 1e-6},
                )

            triggers = [trigger(index) for index in range(count)]
            began = time.perf_counter()
            results = await asyncio.gather(*(sender.send(report, item, "bench storm") for item in triggers))
            sender_seconds = time.perf_counter() - began
            highest = max(result.triggers for result in results)
            last = results[-1].triggers
            probe = await trigger_incident(
                client, report, trigger(count), task_queue=settings.task_queue, summary="bench storm"
            )
            runs = await chain(client, incident_id)
            updates = sum(accepted for _, accepted in runs)
            print(f"sender: {count} in {sender_seconds:.2f} s, {updates} updates, runs {runs}", flush=True)

            # ---- floor: as many updates, one in flight, batches of the same size -----------------------
            floor_handle = await client.start_workflow(
                FloorWorkflow.run,
                FloorInput(0, stay_open=True),
                id=f"floor-{uuid.uuid4()}",
                task_queue=floor_queue,
            )
            batch_updates = max(1, updates - 1)  # the probe was one of the updates
            per_batch = -(-count // batch_updates)
            items = [trigger(index).model_dump(mode="json") for index in range(per_batch)]
            began = time.perf_counter()
            for _ in range(batch_updates):
                await floor_handle.execute_update(FloorWorkflow.bump, FloorBatch(items))
            floor_seconds = time.perf_counter() - began
            await floor_handle.signal(FloorWorkflow.finish)
            await floor_handle.result()
            floor_events = len((await floor_handle.fetch_history()).events)
            print(f"floor: {batch_updates} updates in {floor_seconds:.2f} s", flush=True)

            # ---- through the API -----------------------------------------------------------------------
            dedup = uuid.uuid4().hex
            event = {
                "routing_key": PAGERDUTY_KEY,
                "event_action": "trigger",
                "dedup_key": dedup,
                "payload": {"summary": "Checkout error rate above 20%", "source": "checkout-1", "severity": "critical",
                            "component": "shop-payments"},
            }  # fmt: skip
            gate = asyncio.Semaphore(HTTP_IN_FLIGHT)
            statuses: list[int] = []

            async def post() -> None:
                async with gate:
                    statuses.append((await api.post("/v2/enqueue", json=event)).status_code)

            began = time.perf_counter()
            await asyncio.gather(*(post() for _ in range(http_count)))
            http_seconds = time.perf_counter() - began
            http_id = keyed_incident_id(f"pagerduty:bench:{dedup}", 1)
            http_runs = await chain(client, http_id)
            http_updates = sum(accepted for _, accepted in http_runs)
            print(f"http: {http_count} in {http_seconds:.2f} s, statuses {set(statuses)}", flush=True)

    rows = [
        ["TriggerSender", count, f"{sender_seconds:.2f}", f"{count / sender_seconds:.0f}", updates - 1,
         f"{highest} (last: {last}; probe: {probe.triggers})", len(runs), runs_text(runs)],
        ["floor: bare workflow updates", count, f"{floor_seconds:.2f}", f"{count / floor_seconds:.0f}", batch_updates,
         "–", 1, str(floor_events)],
        [f"POST /v2/enqueue ({HTTP_IN_FLIGHT} in flight)", http_count, f"{http_seconds:.2f}",
         f"{http_count / http_seconds:.0f}", http_updates, f"{statuses.count(202)}×202 {statuses.count(200)}×200",
         len(http_runs), runs_text(http_runs)],
    ]  # fmt: skip
    return (
        "Duplicate triggers for one key. *wall s* runs from handing over the first trigger until every trigger has its "
        "`TriggerResult`, which is also when the incident's count reflects all of them (the highest count answered). "
        "*probe* is one more trigger sent afterwards on its own: its count is the incident's total. *updates* are the "
        "update round trips (accepted updates in the histories, the probe left out for the sender). The floor sends "
        "that many updates, one in flight, each with a batch of as many trigger payloads, to a bare workflow.\n\n"
        + table(
            ["path", "triggers", "wall s", "accepted /s", "updates", "count reflected", "runs", "events per run"],
            rows,
        )
        + f"\n\nTriggerSender ÷ floor (accepted/s): **{floor_seconds / sender_seconds:.2f}**."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 triggers, 300 over HTTP")
    parser.add_argument("--triggers", type=int)
    parser.add_argument("--http", type=int)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    count = args.triggers or (2000 if args.quick else 10_000)
    http_count = args.http or (300 if args.quick else 2000)
    body = asyncio.run(measure(count, http_count))
    append_results("Storm: duplicate triggers for one key", args.quick,
                   "python " + " ".join(sys.argv), body)  # fmt: skip


if __name__ == "__main__":
    main()
