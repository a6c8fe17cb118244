"""The gateway in this process against the dev server, with a worker on a fresh task queue per test.

Requests go through ``httpx.ASGITransport``, so the app runs in the test's event loop, beside the worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.catalog_file import LoadedCatalog, load_catalog
from adapters.settings import Settings
from api.app import create_app
from tests.support.gateway import (
    Api,
    gateway_settings,
    terminate_running,
)
from tests.support.settings import SHIPPED_CATALOG
from worker import build_worker


async def _gateway(dev_env: WorkflowEnvironment, settings: Settings, catalog: LoadedCatalog) -> AsyncIterator[Api]:
    app = create_app(settings, dev_env.client)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient() as outbound,
        build_worker(dev_env.client, settings, catalog, outbound),
        httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http,
    ):
        yield Api(app, http, dev_env.client, settings)
        await terminate_running(dev_env.client, settings.task_queue)


@pytest.fixture
async def api(dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path) -> AsyncIterator[Api]:
    async for gateway in _gateway(dev_env, gateway_settings(tmp_path), catalog):
        yield gateway


@pytest.fixture
async def shipped_api(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Api]:
    """The gateway and a worker on the catalog as shipped: a resolved P1 stays open 1h to be reopened and needs a
    review (the other tests' catalog closes it at once)."""
    settings = gateway_settings(tmp_path, catalog_path=SHIPPED_CATALOG)
    async for gateway in _gateway(dev_env, settings, load_catalog(SHIPPED_CATALOG)):
        yield gateway
