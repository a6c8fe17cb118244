"""Trigger-to-first-page latency at fixed arrival rates, beside Temporal's floor.

    .venv/bin/python bench/latency.py [--quick]

Incident: ``POST /v2/enqueue`` (PagerDuty trigger, a fresh dedup key each) to the API served by uvicorn in this
process → the first page reaching a local webhook receiver. Floor: ``client.start_workflow(FloorWorkflow)`` → its one
activity POSTing to the same receiver. Both at the same open-loop arrival rates, on the same dev server.
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

from adapters.keyed_triggers import keyed_incident_id
from adapters.settings import Settings
from api.server import running_api
from bench.common import (
    EXAMPLE_CATALOG,
    PAGERDUTY_KEY,
    Receiver,
    append_results,
    dev_server,
    free_port,
    ms,
    open_loop,
    percentile,
    table,
)
from bench.floor import FloorInput, FloorWorkflow, floor_worker
from worker import running_worker

ARRIVAL_TIMEOUT = 30.0


def trigger_event(dedup_key: str) -> dict[str, object]:
    return {
        "routing_key": PAGERDUTY_KEY,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": "Checkout error rate above 20%",
            "source": "checkout-1.example",
            "severity": "critical",
            "component": "shop-payments",
        },
    }


async def measure(quick: bool, rates: list[int], seconds: float) -> str:
    rows: list[list[object]] = []
    async with dev_server() as env, Receiver() as receiver, httpx.AsyncClient() as floor_http:
        client = env.client
        port = free_port()
        settings = Settings.model_validate(
            {
                "catalog_path": EXAMPLE_CATALOG,
                "records_dir": Path(tempfile.mkdtemp(prefix="bench-records-")),
                "task_queue": f"bench-incidents-{uuid.uuid4()}",
                "webhook_url": receiver.url,
                "log_channel": False,
                "integrations": [{"name": "bench", "kind": "pagerduty", "key": PAGERDUTY_KEY}],
                "api_port": port,
            }
        )
        floor_queue = f"bench-floor-{uuid.uuid4()}"
        limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
        async with (
            running_worker(client, settings),
            floor_worker(client, floor_queue, floor_http),
            running_api(settings, client, port=port),
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as api,
        ):

            async def incident(index: int) -> tuple[float, float | None]:
                dedup = uuid.uuid4().hex
                start = time.perf_counter()
                try:
                    response = await api.post("/v2/enqueue", json=trigger_event(dedup))
                except httpx.HTTPError as error:  # overloaded: the connection dropped or timed out
                    print("enqueue failed:", repr(error), file=sys.stderr)
                    return time.perf_counter() - start, None
                accepted = time.perf_counter() - start
                if response.status_code != 202:
                    print("enqueue answered", response.status_code, response.text, file=sys.stderr)
                    return accepted, None
                arrived = await receiver.arrival(keyed_incident_id(f"pagerduty:bench:{dedup}", 1), ARRIVAL_TIMEOUT)
                return accepted, None if arrived is None else arrived - start

            async def floor(index: int) -> tuple[float, float | None]:
                workflow_id = f"floor-{uuid.uuid4()}"
                start = time.perf_counter()
                await client.start_workflow(
                    FloorWorkflow.run, FloorInput(1, receiver.url), id=workflow_id, task_queue=floor_queue
                )
                accepted = time.perf_counter() - start
                arrived = await receiver.arrival(workflow_id, ARRIVAL_TIMEOUT)
                return accepted, None if arrived is None else arrived - start

            await open_loop(5, 10, incident)  # warm up both paths (imports, connections, sandbox caches)
            await open_loop(5, 10, floor)
            for rate in rates:
                count = int(rate * seconds)
                for name, fire in (("floor", floor), ("incident", incident)):
                    began = time.perf_counter()
                    results = await open_loop(rate, count, fire)
                    elapsed = time.perf_counter() - began
                    latencies = [latency for _, latency in results if latency is not None]
                    accepts = [accepted for accepted, _ in results]
                    rows.append(
                        [
                            rate,
                            name,
                            count,
                            count - len(latencies),
                            ms(percentile(accepts, 50)),
                            ms(percentile(latencies, 50)),
                            ms(percentile(latencies, 95)),
                            ms(percentile(latencies, 99)),
                            f"{elapsed:.1f}",
                        ]
                    )
                    print(rows[-1], flush=True)
                    await asyncio.sleep(2)
    ratio_rows = []
    for index in range(0, len(rows), 2):
        floor_row, incident_row = rows[index], rows[index + 1]
        ratio_rows.append(
            [floor_row[0]] + [f"{float(incident_row[col]) / float(floor_row[col]):.1f}×" for col in (5, 6, 7)]  # type: ignore[arg-type]
        )
    return (
        "Trigger accepted → first page at the webhook receiver (ms). *incident*: `POST /v2/enqueue` through uvicorn "
        "(update-with-start of `add_triggers`, classification, page activity); *floor*: `start_workflow` of a bare "
        f"workflow whose one activity POSTs to the same receiver. {seconds:g} s per rate, open loop.\n\n"
        + table(
            ["rate /s", "path", "sent", "lost", "accept p50", "p50", "p95", "p99", "wall s"],
            rows,
        )
        + "\n\nIncident ÷ floor:\n\n"
        + table(["rate /s", "p50", "p95", "p99"], ratio_rows)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 and 20 incidents/s for 5 s each")
    parser.add_argument("--rates", type=int, nargs="*", help="arrival rates per second (default 5 20 50)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rates = args.rates or ([5, 20] if args.quick else [5, 20, 50])
    seconds = 5.0 if args.quick else 15.0
    body = asyncio.run(measure(args.quick, rates, seconds))
    append_results("Latency: trigger → first page", args.quick, "python " + " ".join(sys.argv), body)


if __name__ == "__main__":
    main()
