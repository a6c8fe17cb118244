"""Workers of this process for tests: on a settings' task queue, with their own HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog, load_catalog
from adapters.settings import Settings
from tests.support.incidents import terminate_open
from worker import build_worker


@asynccontextmanager
async def worker_for(
    env: WorkflowEnvironment, settings: Settings, catalog: LoadedCatalog | None = None, http_timeout: float = 5.0
) -> AsyncIterator[Worker]:
    """A running worker; when it stops, the incidents the test started on its queue and left open are terminated
    (an open incident would hold the time-skipping server's clock still for the next test)."""
    loaded = catalog if catalog is not None else load_catalog(settings.catalog_path)
    async with (
        httpx.AsyncClient(timeout=http_timeout) as http,
        build_worker(env.client, settings, loaded, http) as running,
    ):
        yield running
        await terminate_open(env.client, running.task_queue)
