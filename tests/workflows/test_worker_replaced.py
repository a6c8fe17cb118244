"""A worker stopped while an incident waits for acknowledgement, replaced by a new one: the escalation fires once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from adapters.catalog_file import load_catalog
from domain.messages.actions import ResolveRequest
from domain.policy.notification_retries import idempotency_key
from tests.support.catalogs import fast_catalog
from tests.support.incidents import start
from tests.support.receiver import Receiver
from tests.support.settings import make_settings
from worker import build_worker
from workflows.incident import IncidentWorkflow


async def wait_until(condition: object, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_escalation_due_while_no_worker_runs_fires_once_on_the_new_worker(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    catalog_path = fast_catalog(tmp_path, delay="3s")
    catalog = load_catalog(catalog_path)
    async with Receiver() as receiver, httpx.AsyncClient(timeout=2) as http:
        settings = make_settings(tmp_path, catalog_path=catalog_path, webhook_url=receiver.url("/pages"))
        first_page = second_page = ""
        async with build_worker(dev_env.client, settings, catalog, http):
            handle = await start(dev_env.client, settings.task_queue)
            first_page = idempotency_key(handle.id, "page-0", "webhook")
            second_page = idempotency_key(handle.id, "page-1", "webhook")
            await wait_until(lambda: receiver.deliveries[first_page] == 1, seconds=10)
        # No worker for longer than level 1's delay: level 2 falls due while nobody runs the incident.
        await asyncio.sleep(4)
        assert receiver.deliveries[second_page] == 0
        async with build_worker(dev_env.client, settings, catalog, http):
            await wait_until(lambda: receiver.deliveries[second_page] == 1, seconds=15)
            await handle.execute_update(
                IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="restarted", root_cause="deadlock")
            )
            record = await handle.result()
    assert receiver.attempts(second_page) == 1
    assert receiver.duplicates[second_page] == 0
    paged = [e for e in record.timeline if e.kind == "escalation.level_paged" and e.data["level"] == 2]
    assert len(paged) == 1
    assert paged[0].data["due"] == (record.opened_at + timedelta(seconds=3)).isoformat()
    assert paged[0].at - record.opened_at >= timedelta(seconds=3)
    assert [(e.level, e.by) for e in record.escalations][:2] == [(1, None), (2, None)]
