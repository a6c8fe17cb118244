"""Real worker processes for the reliability suite: spawn ``python worker.py``, SIGKILL it, wait for conditions.

Plain helpers (no fixtures) shared by the crash and failover tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from tests.support.settings import ROOT


async def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, f"timed out after {seconds} s waiting for {what}"
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def worker_env(
    address: str,
    task_queue: str,
    catalog_path: Path,
    records_dir: Path,
    webhook_url: str | None = None,
    **settings: str,
) -> dict[str, str]:
    """The environment of a worker process; ``settings`` are more INCIDENTS_* variables, named in lower case."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": "default",
        "INCIDENTS_TASK_QUEUE": task_queue,
        "INCIDENTS_CATALOG_PATH": str(catalog_path),
        "INCIDENTS_RECORDS_DIR": str(records_dir),
    }
    if webhook_url is not None:
        env["INCIDENTS_WEBHOOK_URL"] = webhook_url
    env.update({f"INCIDENTS_{name.upper()}": value for name, value in settings.items()})
    return env


async def spawn_worker(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "worker.py"),
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def sigkill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL and reap; a process that already exited is only reaped."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(process.wait(), timeout=30)


async def polling(client: Client, task_queue: str, process: asyncio.subprocess.Process) -> bool:
    """True once ``process`` (a worker, whose identity starts with its pid) has polled ``task_queue`` for tasks."""
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return any(poller.identity.startswith(f"{process.pid}@") for poller in answer.pollers)


async def stop_worker(process: asyncio.subprocess.Process, seconds: float = 30) -> None:
    """SIGTERM (the worker finishes what it has in hand), then SIGKILL if it has not exited within ``seconds``."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout=seconds)
    except TimeoutError:
        await sigkill(process)


async def wait_for_pollers(client: Client, task_queue: str, processes: list[asyncio.subprocess.Process]) -> None:
    """Wait until every worker process polls ``task_queue`` (a process takes a few seconds to import and connect)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not all([await polling(client, task_queue, process) for process in processes]):
        assert all(process.returncode is None for process in processes), "a worker process exited"
        assert loop.time() < deadline, "the worker processes did not poll within 60 s"
        await asyncio.sleep(0.2)
