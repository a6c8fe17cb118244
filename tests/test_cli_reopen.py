"""``incidents reopen`` as people run it, against a real dev server whose worker has the shipped catalog (a resolved
incident stays open for 1h to be reopened)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.catalog_file import load_catalog
from tests.support.cli import Cli, Outcome, clean_environment, report_payments
from tests.support.gateway import terminate_running
from tests.support.settings import SHIPPED_CATALOG, make_settings
from worker import build_worker


@pytest.fixture
async def cli(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Cli]:
    settings = make_settings(tmp_path, catalog_path=SHIPPED_CATALOG)
    env = clean_environment(
        TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=dev_env.client.namespace,
        INCIDENTS_TASK_QUEUE=settings.task_queue,
    )
    async with httpx.AsyncClient() as http, build_worker(dev_env.client, settings, load_catalog(SHIPPED_CATALOG), http):
        yield Cli(env)
        await terminate_running(dev_env.client, settings.task_queue)


async def test_reopen_a_resolved_incident_and_what_is_refused(cli: Cli) -> None:
    incident_id = await report_payments(cli)
    early = await cli("reopen", incident_id, "--by", "amara", "--reason", "errors again")
    assert early == Outcome(1, "", "error: cannot reopen: the incident is triggered, not resolved\n")
    resolved = await cli(
        "resolve", incident_id, "--by", "amara", "--summary", "restarted", "--root-cause", "memory leak"
    )
    assert resolved == Outcome(0, f"{incident_id} resolved P1 assignee=- level=1\n", "")
    reopened = await cli("reopen", incident_id, "--by", "bruno", "--reason", "checkout errors are back")
    assert reopened == Outcome(0, f"{incident_id} triggered P1 assignee=- level=1\n", "")
    shown = await cli("status", incident_id, "--json")
    view = json.loads(shown.stdout)
    assert (shown.code, view["status"], view["reopens"], view["reopen_until"]) == (0, "triggered", 1, None)
    no_reason = await cli("reopen", incident_id, "--by", "bruno")
    assert (no_reason.code, "Missing option '--reason'" in no_reason.stderr) == (2, True)
