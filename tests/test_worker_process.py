"""The worker as ops run it: a separate process that connects through envconfig and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from adapters.catalog_file import LoadedCatalog
from adapters.incident_client import classification, report_incident
from adapters.settings import Settings
from domain.models import Priority
from tests.support.reports import PAYMENTS
from tests.support.settings import EXAMPLE_CATALOG, ROOT
from worker import build_worker


async def test_worker_process_serves_incidents_and_exits_zero_on_sigterm(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    task_queue = f"incidents-{uuid.uuid4()}"
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": "default",
        "INCIDENTS_TASK_QUEUE": task_queue,
        "INCIDENTS_CATALOG_PATH": str(EXAMPLE_CATALOG),
        "INCIDENTS_RECORDS_DIR": str(tmp_path / "records"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "worker.py"), env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, handle = await report_incident(dev_env.client, PAYMENTS, task_queue=task_queue, summary="worker test")
        result = await asyncio.wait_for(classification(handle), timeout=30)
        assert result.priority is Priority.P1
        await handle.terminate("test finished")
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert f"worker on task queue '{task_queue}' with catalog 2026.11.1+" in log
    assert "stopping: finishing the tasks in hand" in log
    assert "Traceback" not in log


async def test_the_worker_caches_and_runs_as_many_incidents_as_configured(
    dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path
) -> None:
    assert Settings.model_fields["max_cached_workflows"].default == 10_000  # the SDK's own default is 1,000
    assert Settings.model_fields["max_concurrent_workflow_tasks"].default == 10  # the SDK's own default is 100
    settings = Settings(records_dir=tmp_path, max_cached_workflows=2_500, max_concurrent_workflow_tasks=4)
    async with httpx.AsyncClient() as http:
        worker = build_worker(dev_env.client, settings, catalog, http)
        config = worker.config()
        assert (config["max_cached_workflows"], config["max_concurrent_workflow_tasks"]) == (2_500, 4)


async def test_the_worker_gives_up_on_a_dead_peer_within_the_configured_sticky_timeout(
    dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path
) -> None:
    assert Settings.model_fields["sticky_schedule_to_start_timeout_seconds"].default == 1.0  # the SDK's own is 10 s
    settings = Settings(
        records_dir=tmp_path, task_queue=f"incidents-{uuid.uuid4()}", sticky_schedule_to_start_timeout_seconds=2.5
    )
    async with httpx.AsyncClient() as http:
        config = build_worker(dev_env.client, settings, catalog, http).config()
    assert config["sticky_queue_schedule_to_start_timeout"] == timedelta(seconds=2.5)
    # A page being sent heartbeats every 0.5 s, and each heartbeat reaches the server (the SDK would hold them
    # back for up to 80 % of the 2 s heartbeat timeout otherwise).
    assert config["max_heartbeat_throttle_interval"] == timedelta(milliseconds=500)


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("sticky_schedule_to_start_timeout_seconds", 0, "Input should be greater than 0"),
        ("sticky_schedule_to_start_timeout_seconds", 61, "Input should be less than or equal to 60"),
        ("webhook_timeout_seconds", 21, "Input should be less than or equal to 20"),
        ("smtp_timeout_seconds", 20.5, "Input should be less than or equal to 20"),
    ],
)
def test_timeouts_out_of_bounds_are_refused(variable: str, value: float, problem: str) -> None:
    with pytest.raises(ValidationError) as error:
        Settings.model_validate({variable: value})
    [detail] = error.value.errors()
    assert (detail["loc"], detail["msg"]) == ((variable,), problem)
