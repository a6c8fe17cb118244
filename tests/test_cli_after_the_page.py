"""After the page from the command line (``incidents reopen``, ``review``, ``action``, ``close``) against a real dev
server whose worker has the shipped catalog (a resolved P1 stays open 1h to be reopened and needs a review)."""

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


async def test_review_action_items_and_close_from_the_command_line(cli: Cli) -> None:
    incident_id = await report_payments(cli)
    await cli("resolve", incident_id, "--by", "amara", "--summary", "rolled back", "--root-cause", "bad deploy")
    shown = await cli("review", incident_id)
    assert shown.code == 0
    assert shown.stdout.splitlines()[:3] == [f"{incident_id} resolved", "review:   open", "  * summary          —"]
    assert "  * root_cause       bad deploy" in shown.stdout.splitlines()
    added = await cli(
        "action", "add", incident_id, "--owner", "bruno", "--due", "2099-01-05", "--text", "canary", "--by", "amara"
    )
    assert added == Outcome(0, f"{incident_id} resolved P1 assignee=- level=1\n", "")
    bad_due = await cli(
        "action", "add", incident_id, "--owner", "bruno", "--due", "soon", "--text", "x", "--by", "amara"
    )
    assert bad_due == Outcome(
        2, "", "error: --due: 'soon' is not an ISO 8601 date or time, e.g. 2026-12-20 or 2026-12-20T09:00:00Z\n"
    )
    incomplete = await cli("review", incident_id, "--complete", "--by", "amara")
    assert incomplete == Outcome(
        1, "", "error: cannot complete the review: required sections still empty: summary, customer_impact, lessons\n"
    )
    for section in ("summary", "customer_impact", "lessons"):
        written = await cli("review", incident_id, "--section", section, "--text", f"the {section}", "--by", "amara")
        assert written.code == 0, written
    assert (await cli("review", incident_id, "--complete", "--by", "amara")).code == 0
    refused = await cli("close", incident_id, "--by", "amara")
    assert refused == Outcome(
        1, "", "error: cannot close: still open: action item 1 (bruno, due 2099-01-05 00:00:00 UTC)\n"
    )
    assert (await cli("action", "done", incident_id, "1", "--by", "bruno")).code == 0
    review = json.loads((await cli("review", incident_id, "--json")).stdout)
    assert (review["review"]["completed_by"], review["actions"][0]["state"], review["closing_needs"]) == (
        "amara",
        "done",
        [],
    )
    closed = await cli("close", incident_id, "--by", "amara")
    assert closed == Outcome(0, f"{incident_id} resolved P1 assignee=- level=1\n", "")
