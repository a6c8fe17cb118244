"""Failover: workers SIGKILLed again and again while incidents escalate and responders act; is anything due dropped?

    .venv/bin/python bench/failover.py [--quick] [--incidents 40] [--delay 15] [--kill-every 6] [--sticky 1] [--act 0.5]

Two ``python worker.py`` processes on one task queue, N P1 incidents on shop-payments whose policy walks its three
levels twice, ``--delay`` apart (six pages, then the final owner), opened one after another across one delay so that
something falls due all the time. A signed webhook receiver in this process checks every request's signature and
notes when each page (by Idempotency-Key) first arrived. Every ``--kill-every`` seconds (±25 %) one of two worker
slots is SIGKILLed and started again at once, taking turns; the other slot is polling before it happens.

Responders act meanwhile, through the Temporal client: a share (``--act``) of the incidents, chosen by the seeded
RNG, is acknowledged at a random moment between two of its due times, by the ``acknowledge`` signal and update in
turn; every fifth of them is resolved instead (``resolve``, signal and update in turn). Each action's send time (wall
clock) is noted. An incident is owed every page whose due time (opening + n × delay, the record's escalation ``due``)
came before its action was sent, or all of them when nobody acted: each owed key must arrive exactly once and be on
the record. Counted besides: pages due after the action was sent that still went out because it was applied later
(allowed: docs/paging.md, "Order of events"), pages due after it was applied (none may be), and, from each record,
escalations due before the action was applied that are not on the timeline before its entry.

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
import logging
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio.client import WorkflowHandle

from adapters.incident_client import report_incident
from adapters.settings import Settings
from bench.common import PAYMENTS_REPORT, append_results, dev_server, percentile
from bench.common import table as markdown_table
from bench.failover_responders import (
    ACTIONS,
    RESOLVE,
    RESPONDER,
    STEPS,
    TIMER_PAGES,
    ResponderAction,
    act,
    action_row,
    audit,
    failures,
    plan_actions,
)
from bench.failover_workers import SECRET, PageReceiver, Slot, failover_catalog, polling, timeouts
from bench.floor import FloorInput, FloorWorkflow
from domain.models import IncidentReport
from domain.policy.notification_retries import HEARTBEAT_TIMEOUT, idempotency_key
from domain.views.record import IncidentRecord
from workflows.incident import IncidentWorkflow

AFTER_KILL = 5.0
KINDS = ("sticky, dead", "sticky, alive", "task", "heartbeat", "activity")


def page_counts(keys: set[str], receiver: PageReceiver) -> list[object]:
    """Expected, received, missing, and keys that came more than once (with the number of repeated requests)."""
    received = keys & set(receiver.arrived)
    repeated = {key: n for key, n in receiver.repeats.items() if key in keys}
    return [len(keys), len(received), len(keys - received), f"{len(repeated)} ({sum(repeated.values())})"]


def insert_on_record(counts: list[object], off_record: set[str] | None) -> list[object]:
    """``page_counts`` with the number of keys not on the record after ``missing`` (– when there is no record)."""
    return [*counts[:3], "–" if off_record is None else len(off_record), *counts[3:]]


def row(name: str, late: list[float]) -> list[object]:
    if not late:
        return [name, 0, "–", "–", "–"]
    return [name, len(late), *(f"{value:.2f}" for value in (percentile(late, 50), percentile(late, 99), max(late)))]


async def measure(
    count: int, delay: int, kill_every: float, sticky: float, seed: int, share: float
) -> tuple[str, list[str]]:
    """The report's body, and what broke a promise (pages owed but missing, actions failed or applied out of order)."""
    directory = Path(tempfile.mkdtemp(prefix="bench-failover-"))
    rng = random.Random(seed)
    plan = plan_actions(count, share, delay, random.Random(f"responders-{seed}"))
    report = IncidentReport.model_validate(PAYMENTS_REPORT)
    queue, floor_queue = f"bench-failover-{uuid.uuid4()}", f"bench-failover-floor-{uuid.uuid4()}"
    kills: list[float] = []
    killed: dict[int, float] = {}
    receiver = PageReceiver()  # typed as itself: ``Receiver.__aenter__`` answers a plain Receiver
    async with dev_server() as server, receiver:
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

            async def respond(handle: WorkflowHandle[Any, Any], action: ResponderAction, opened: float) -> None:
                await act(handle, action, opened)
                outcome = f"failed: {action.error}" if action.error else "done"
                print(f"{action.kind} {handle.id}: sent at +{(action.sent or 0) - wall_began:.1f} s, {outcome}")

            killer = asyncio.create_task(kill_repeatedly())
            wall_began = time.time()
            actions: dict[str, ResponderAction] = {}
            responders: list[asyncio.Task[None]] = []
            incidents: list[WorkflowHandle[Any, Any]] = []
            floors: list[WorkflowHandle[Any, Any]] = []
            for number in range(count):
                await asyncio.sleep(max(0.0, began + number * delay / count - loop.time()))
                _, handle = await report_incident(client, report, task_queue=queue, summary="bench failover")
                incidents.append(handle)
                if number in plan:
                    actions[handle.id] = plan[number]
                    responders.append(asyncio.create_task(respond(handle, plan[number], time.time())))
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
            await asyncio.gather(*responders)
            unattended = {  # every page of the incidents nobody acted on; the others' are known from their records
                idempotency_key(h.id, step, "webhook") for h in incidents if h.id not in actions for step in STEPS
            }
            floor_keys = {f"{h.id}:{number}" for h in floors for number in range(len(TIMER_PAGES))}
            give_up = loop.time() + 60
            while not unattended | floor_keys <= set(receiver.arrived) and loop.time() < give_up:
                await asyncio.sleep(0.5)
            for handle in incidents:  # a record waits for its deliveries: every page queued is in by then
                action = actions.get(handle.id)
                if action is None or action.verb == "acknowledge":
                    await handle.execute_update(IncidentWorkflow.resolve, RESOLVE)
                elif action.error is not None:  # it may not have reached the incident
                    with contextlib.suppress(Exception):
                        await handle.execute_update(IncidentWorkflow.resolve, RESOLVE)
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
    audits = {
        record.incident_id: audit(record, actions.get(record.incident_id), delay, receiver.arrived)
        for record in records
    }
    acted = [(actions[incident_id], found) for incident_id, found in audits.items() if incident_id in actions]
    owed_acted = {key for _, found in acted for key in found.owed}
    owed_unattended = {key for i, found in audits.items() if i not in actions for key in found.owed}
    on_record = {key for found in audits.values() for key in found.on_record}
    notices = {idempotency_key(record.incident_id, "resolved", "webhook") for record in records}
    notices_on_record = {
        idempotency_key(record.incident_id, n.step, n.channel)
        for record in records
        for n in record.notifications
        if n.step == "resolved" and n.outcome == "delivered"
    }
    owed = owed_acted | owed_unattended | notices
    missing = sorted((owed | floor_keys) - set(receiver.arrived))
    problems = [
        f"{n} {what}"
        for n, what in (
            (len(owed - set(receiver.arrived)), "owed pages never arrived"),
            (len(owed - on_record - notices_on_record), "owed pages not on the record"),
            (failures(acted), "actions failed or never applied"),
            (sum(found.after_applied for _, found in acted), "pages due after the action was applied"),
            (
                sum(found.out_of_order for _, found in acted),
                "escalations due before the action, on the timeline after it",
            ),
        )
        if n
    ]
    lost_attempts = sum(
        1 for record in records for entry in record.timeline if "went silent" in entry.message
    )  # timeline messages of retried lost attempts
    body = (
        f"{count} P1 incidents, each walking 3 levels twice {delay} s apart (6 pages and the final owner), opened "
        f"across {delay} s; two worker slots (`python worker.py` and a floor worker each) on one dev server; "
        f"{len(kills)} SIGKILLs, one every {kill_every:g} s ± 25 %, the slots taking turns, each restarted at once. "
        f"Sticky schedule-to-start timeout {sticky:g} s, delivery heartbeat timeout "
        f"{HEARTBEAT_TIMEOUT.total_seconds():g} s.\n\n"
        + f"Responders meanwhile, through the Temporal client as {RESPONDER}: {len(actions)} of the {count} "
        "incidents, chosen by the seeded RNG, acted on at a random moment between two of their due times ("
        + ", ".join(f"{sum(1 for a in actions.values() if a.kind == kind)} {kind}" for kind in ACTIONS)
        + "). An incident is owed every page due (opening + n × delay, the record's escalation `due`) before its "
        "action was sent, or all of them when nobody acted, and every incident one resolution notice. Each owed key "
        "must arrive exactly once and be on the record (escalations, or the final owner's `escalation_exhausted`, or "
        "the notice's delivery):\n\n"
        + markdown_table(
            ["pages", "expected", "received", "missing", "not on the record", "keys repeated (requests)"],
            [
                [
                    "incidents acted on: due before the action was sent",
                    *insert_on_record(page_counts(owed_acted, receiver), owed_acted - on_record),
                ],
                [
                    "incidents nobody acted on: 6 levels and the final owner",
                    *insert_on_record(page_counts(owed_unattended, receiver), owed_unattended - on_record),
                ],
                [
                    "resolution notices (one per incident)",
                    *insert_on_record(page_counts(notices, receiver), notices - notices_on_record),
                ],
                ["floor (timer → activity POST)", *insert_on_record(page_counts(floor_keys, receiver), None)],
            ],
        )
        + f"\n\nRequests with a bad signature: {receiver.bad_signatures}. Around each action: when it was applied "
        "(its timeline entry, workflow time) after it was sent; pages due before it was sent that reached the "
        "timeline only after that (a failover held them, the action's arrival applied them first); pages due after "
        'it was sent that still went out because it was applied later (allowed by design: docs/paging.md, "Order '
        'of events"); pages due after it was applied (none may be), and escalations due before it was applied that '
        "are not on the timeline before its entry (none may be):\n\n"
        + markdown_table(
            [
                "action",
                "n",
                "failed",
                "applied − sent p50 / max s",
                "pages due before it was sent",
                "of them paged only after it was sent",
                "paged after it (due after it was sent)",
                "paged though due after it was applied",
                "due before it was applied, not before it on the timeline",
            ],
            [
                *(action_row(kind, [(a, found) for a, found in acted if a.kind == kind]) for kind in ACTIONS),
                action_row("all", acted),
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
    return body, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 incidents, 8 s levels (about 2 minutes)")
    parser.add_argument("--incidents", type=int)
    parser.add_argument("--delay", type=int, help="seconds between escalation levels")
    parser.add_argument("--kill-every", type=float, default=6.0, help="seconds between kills (± 25 %%)")
    parser.add_argument("--sticky", type=float, help="the workers' sticky schedule-to-start timeout, seconds")
    parser.add_argument("--seed", type=int, default=10, help="seeds the kill schedule's jitter and the responders")
    parser.add_argument("--act", type=float, default=0.5, help="share of the incidents a responder acts on, 0..1")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    count = args.incidents or (20 if args.quick else 40)
    delay = args.delay or (8 if args.quick else 15)
    sticky = args.sticky if args.sticky is not None else Settings().sticky_schedule_to_start_timeout_seconds
    if not 0 <= args.act <= 1:
        parser.error(f"--act must be between 0 and 1, not {args.act:g}")
    body, problems = asyncio.run(measure(count, delay, args.kill_every, sticky, args.seed, args.act))
    append_results("Failover: workers SIGKILLed while incidents escalate and responders act", args.quick,
                   "python " + " ".join(sys.argv), body)  # fmt: skip
    if problems:
        raise SystemExit("failover: " + "; ".join(problems))


if __name__ == "__main__":
    main()
