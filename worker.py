"""The worker: runs incident workflows and their activities until SIGTERM or Ctrl-C.

python worker.py        (or: incidents worker)
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.channels.setup import build_channels
from activities.classify import ClassifyActivities
from activities.close import close_incident
from activities.document import DocumentActivities
from activities.notify import NotifyActivities
from activities.oncall import OnCallActivities
from activities.page_links import LinkSigner
from adapters.archive import ArchiveRepository, archive_url, create_archive_engine, describe
from adapters.catalog_file import LoadedCatalog, load_catalog
from adapters.codec import codec_from_settings
from adapters.metrics import metrics_runtime
from adapters.settings import Settings
from adapters.temporal import connect
from domain.errors import ArchiveError, ConfigError
from domain.policy.notification_retries import HEARTBEAT_EVERY
from workflows.incident import IncidentWorkflow

logger = logging.getLogger("incidents.worker")

GRACEFUL_SHUTDOWN = timedelta(seconds=10)
"""On SIGTERM, activities in hand (a page being delivered) get this long to finish before they are cancelled."""


MIN_LINK_SECRET_BYTES = 32
"""An HMAC key shorter than this could be guessed offline from any link; ``openssl rand -hex 32`` makes one."""


def build_link_signer(settings: Settings) -> LinkSigner | None:
    """Signs one-click links in pages when INCIDENTS_LINK_SECRET is set; None leaves pages without links."""
    if settings.link_secret is None:
        return None
    secret = settings.link_secret.get_secret_value().encode()
    if len(secret) < MIN_LINK_SECRET_BYTES:
        raise ConfigError(
            f"INCIDENTS_LINK_SECRET is {len(secret)} bytes long: use at least {MIN_LINK_SECRET_BYTES} "
            "(e.g. `openssl rand -hex 32`), or unset it to send pages without links"
        )
    return LinkSigner(
        secret=secret, ttl=timedelta(seconds=settings.link_ttl_seconds), public_url=str(settings.public_url)
    )


def build_archive(engine: Engine) -> ArchiveRepository:
    """The archive the document step writes to: the embedded SQLite default is created or migrated on first use; a
    PostgreSQL archive is only checked (ArchiveOutdated until ``incidents archive upgrade`` has run)."""
    return ArchiveRepository(engine, upgrade_embedded=True)


def build_worker(
    client: Client,
    settings: Settings,
    catalog: LoadedCatalog,
    http: httpx.AsyncClient,
    archive: ArchiveRepository | None = None,
) -> Worker:
    """The worker with every activity; without ``archive``, one of its own on INCIDENTS_DATABASE_URL, whose pooled
    connections close when the worker is garbage collected (tests: each its own embedded archive)."""
    classify = ClassifyActivities(catalog, settings.channels)
    notify = NotifyActivities(build_channels(settings, http, catalog.catalog.users), build_link_signer(settings))
    if archive is None:
        archive = build_archive(create_archive_engine(archive_url(settings)))
    document = DocumentActivities(settings.records_dir if settings.export_records else None, archive)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[IncidentWorkflow],
        activities=[
            classify.classify_incident,
            notify.send_notification,
            close_incident,
            document.document_incident,
            OnCallActivities(catalog).resolve_on_call,
        ],
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=settings.sticky_schedule_to_start_timeout_seconds),
        max_heartbeat_throttle_interval=HEARTBEAT_EVERY,  # each heartbeat of a page being sent reaches the server
    )


async def prepare_archive(archive: ArchiveRepository, engine: Engine) -> None:
    """Migrate the embedded archive, or check a PostgreSQL one, before the first incident closes. A problem is logged,
    not fatal: the worker still runs the open incidents, and closed ones wait (the document step retries) until the
    database is back or migrated."""
    try:
        await asyncio.to_thread(archive.check_schema)
    except ArchiveError as error:
        logger.warning("%s; closed incidents wait to be documented until then", error)
    else:
        logger.info("archive in %s", describe(engine.url))


@asynccontextmanager
async def running_worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    """A started worker with its HTTP client and archive; all shut down cleanly on exit."""
    catalog = load_catalog(settings.catalog_path)
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    engine = create_archive_engine(archive_url(settings))
    archive = build_archive(engine)
    try:
        await prepare_archive(archive, engine)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            worker = build_worker(client, settings, catalog, http, archive)
            task = asyncio.create_task(worker.run())
            logger.info("worker on task queue %r with catalog %s", settings.task_queue, catalog.version)
            try:
                yield worker
            finally:
                await worker.shutdown()
                await task
    finally:
        engine.dispose()


async def run_until_stopped(settings: Settings) -> None:
    client = await connect(codec=codec_from_settings(settings), runtime=metrics_runtime(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_worker(client, settings):
        await stop.wait()
        logger.info("stopping: finishing the tasks in hand")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run_until_stopped(Settings()))


if __name__ == "__main__":
    main()
