"""The ``incidents`` command as people run it: a subprocess against a real dev server.

A worker runs in this process on a fresh task queue; the CLI runs through ``asyncio.create_subprocess_exec`` so
the event loop (and so the worker) keeps going while a command waits for it.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from adapters.catalog_file import LoadedCatalog
from tests.support.cli import (
    INCIDENT_ID,
    PAYMENTS,
    Cli,
    Outcome,
    clean_environment,
    free_port,
    incidents,
    report_payments,
)
from tests.support.settings import SHIPPED_CATALOG

VISIBILITY_TIMEOUT = 10.0


async def listed(cli: Cli, incident_id: str, *filters: str) -> dict[str, Any]:
    """The incident's entry in ``incidents list --json``; visibility is eventually consistent, so poll."""
    deadline = asyncio.get_running_loop().time() + VISIBILITY_TIMEOUT
    while True:
        outcome = await cli("list", *filters, "--json")
        assert (outcome.code, outcome.stderr) == (0, ""), outcome
        found = [entry for entry in json.loads(outcome.stdout) if entry["incident_id"] == incident_id]
        if found or asyncio.get_running_loop().time() > deadline:
            assert len(found) == 1, f"{incident_id} not listed with {filters}: {outcome.stdout}"
            return found[0]
        await asyncio.sleep(0.5)


async def test_report_ack_resolve_print_the_new_status(cli: Cli) -> None:
    incident_id = await report_payments(cli)

    acknowledged = await cli("ack", incident_id, "--by", "amara")
    assert acknowledged == Outcome(0, f"{incident_id} acknowledged P1 assignee=amara level=1\n", "")

    again = await cli("ack", incident_id, "--by", "bruno")
    assert again == Outcome(1, "", "error: cannot acknowledge: the incident is already acknowledged\n")

    noted = await cli("note", incident_id, "--by", "bruno", "--text", "card processor returns 502")
    assert noted == Outcome(0, f"{incident_id} acknowledged P1 assignee=amara level=1\n", "")

    resolved = await cli("resolve", incident_id, "--by", "amara", "--root-cause", "bad deploy", "--summary", "rollback")
    assert resolved == Outcome(0, f"{incident_id} resolved P1 assignee=amara level=1\n", "")


async def test_status_json_shows_priority_route_escalation_sla_and_timeline(cli: Cli, catalog: LoadedCatalog) -> None:
    incident_id = await report_payments(cli)
    assert (await cli("ack", incident_id, "--by", "amara")).code == 0

    outcome = await cli("status", incident_id, "--json")
    assert (outcome.code, outcome.stderr) == (0, "")
    view = json.loads(outcome.stdout)
    assert {key: view[key] for key in view if key not in ("opened_at", "sla", "timeline")} == {
        "incident_id": incident_id,
        "title": "Payments failing for all users",
        "service": "shop-payments",
        "status": "acknowledged",
        "priority": "P1",
        "priority_reason": "P1 Critical: impact all_users × urgency high → P1; service criticality critical: "
        f"unchanged (matrix impact-urgency/1, catalog {catalog.version})",
        "team": "shop-payments",
        "escalation_policy": "payments-critical",
        "routing_rule": None,
        "assignee": "amara",
        "escalation": {
            "index": 0,
            "loop": 1,
            "level": 1,
            "targets": [{"user": "amara", "team": None, "schedule": None}],
            "delay": "5m",
        },
        "escalation_targets": ["amara"],
        "escalation_exhausted": False,
        "next_escalation_at": None,
        "snoozed_until": None,
        "maintenance_until": None,
        "reopen_until": None,
        "reopens": 0,
        "roles": {},
        "review": None,
        "actions": [],
        "closing_needs": [],
        "updates": [],
        "stakeholders": ["dana"],
        "next_update_due": None,
        "on_call": [],
        "sla_breached": False,
        "reporter": "checkout-monitor",
        "on_behalf_of": None,
        "triggers": 0,
        "archived": False,
        "category": "application_error",
        "similar": [],
    }
    assert [(clock["clock"], clock["state"]) for clock in view["sla"]] == [
        ("acknowledge", "met"),
        ("resolve", "running"),
    ]
    assert [
        (entry["kind"], entry["actor"]) for entry in view["timeline"] if not entry["kind"].startswith("notification.")
    ] == [
        ("incident.opened", "checkout-monitor"),
        ("incident.classified", None),
        ("incident.routed", None),
        ("escalation.level_paged", None),
        ("incident.acknowledged", "amara"),
    ]


async def test_list_filters_by_status(cli: Cli) -> None:
    incident_id = await report_payments(cli)
    assert (await cli("ack", incident_id, "--by", "amara")).code == 0

    entry = await listed(cli, incident_id, "--status", "acknowledged", "--service", "shop-payments")
    assert {key: entry[key] for key in entry if key != "started_at"} == {
        "incident_id": incident_id,
        "status": "acknowledged",
        "priority": "P1",
        "service": "shop-payments",
        "team": "shop-payments",
        "sla_breached": False,
    }
    triggered = await cli("list", "--status", "triggered", "--service", "shop-payments", "--json")
    assert incident_id not in [item["incident_id"] for item in json.loads(triggered.stdout)]


async def test_report_json_and_priority_change(cli: Cli) -> None:
    reported = await cli(
        "report", "--title", "Dashboard not loading the latest data", "--service", "saas-dashboard",
        "--category", "broken_feature", "--source", "ticket", "--impact", "many_users", "--urgency", "medium",
        "--reporter", "support-desk", "--label", "plan=enterprise", "--json",
    )  # fmt: skip
    assert (reported.code, reported.stderr) == (0, "")
    result = json.loads(reported.stdout)
    incident_id = result["incident_id"]
    assert re.fullmatch(INCIDENT_ID, incident_id)
    assert result == {
        "incident_id": incident_id,
        "status": "triggered",
        "priority": "P2",
        "assignee": None,
        "escalation_level": 1,
    }
    changed = await cli("priority", incident_id, "P1", "--by", "dana", "--reason", "the CEO demo is in an hour")
    assert changed == Outcome(0, f"{incident_id} triggered P1 assignee=- level=1\n", "")
    same = await cli("priority", incident_id, "P1", "--by", "dana", "--reason", "again")
    assert same == Outcome(1, "", "error: cannot set the priority: it is already P1\n")


async def test_report_from_a_file(cli: Cli, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(
            {
                "title": "Partner API is down",
                "service": "bank-partner-api",
                "category": "api_disruption",
                "source": "monitoring",
                "impact": "some_users",
                "urgency": "high",
                "reporter": "uptime-check",
                "occurred_at": "2026-11-28T06:00:00+00:00",
            }
        )
    )
    reported = await cli("report", "--file", str(report))
    assert (reported.code, reported.stderr) == (0, "")
    assert re.fullmatch(f"{INCIDENT_ID} P1\n", reported.stdout)


async def test_unknown_incident(cli: Cli) -> None:
    assert await cli("ack", "INC-NOPE", "--by", "amara") == Outcome(1, "", "error: no incident 'INC-NOPE'\n")
    assert await cli("status", "INC-NOPE") == Outcome(1, "", "error: no incident 'INC-NOPE'\n")


async def test_bad_report_is_refused_before_connecting() -> None:
    # Nothing listens on the address: exit 2 (not 1) shows the report was refused before any connection.
    env = clean_environment(TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}")
    args = [*PAYMENTS]
    args[args.index("all_users")] = "everyone"
    outcome = await incidents("report", *args, env=env)
    assert outcome == Outcome(
        2, "", "error: impact: Input should be 'all_users', 'many_users', 'some_users' or 'single_user'\n"
    )
    labelled = await incidents("report", *PAYMENTS, "--label", "region", env=env)
    assert labelled == Outcome(2, "", "error: labels: 'region' is not key=value\n")


async def test_temporal_unreachable_is_a_message_not_a_traceback() -> None:
    port = free_port()
    outcome = await incidents("list", env=clean_environment(TEMPORAL_ADDRESS=f"127.0.0.1:{port}"))
    assert (outcome.code, outcome.stdout) == (1, "")
    assert outcome.stderr.startswith(f"error: cannot reach Temporal at 127.0.0.1:{port}: ")
    assert outcome.stderr.count("\n") == 1


async def test_without_a_worker_commands_say_so_instead_of_waiting_forever(dev_env: WorkflowEnvironment) -> None:
    queue = f"nobody-{uuid.uuid4()}"
    env = clean_environment(
        TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host, INCIDENTS_TASK_QUEUE=queue
    )
    outcome = await incidents("report", *PAYMENTS, "--wait", "1", env=env)
    match = re.fullmatch(f"({INCIDENT_ID})\n", outcome.stdout)
    assert match is not None, outcome
    assert (outcome.code, outcome.stderr) == (
        1,
        f"error: no worker answered on task queue {queue!r} within 1s; the incident is open and will be "
        "classified once a worker runs (incidents worker)\n",
    )
    incident_id = match.group(1)
    no_answer = (
        "error: no worker answered in time; is a worker running on the incident's task queue? (incidents worker)\n"
    )
    assert await incidents("ack", incident_id, "--by", "amara", "--wait", "1", env=env) == Outcome(1, "", no_answer)
    assert await incidents("status", incident_id, "--wait", "1", env=env) == Outcome(1, "", no_answer)
    await dev_env.client.get_workflow_handle(incident_id).terminate("test cleanup")


async def test_invalid_enum_values_are_rejected_by_the_command_line() -> None:
    outcome = await incidents("list", "--status", "nope", env=clean_environment())
    assert outcome.code == 2
    assert outcome.stderr.endswith(
        "Error: Invalid value for '--status': Value error, 'nope' is not one of "
        "'triggered', 'acknowledged', 'resolved', 'closed'.\n"
    )


async def test_check_catalog(catalog: LoadedCatalog, tmp_path: Path) -> None:
    env = clean_environment()
    assert await incidents("check-catalog", env=env) == Outcome(0, f"ok: {catalog.version}\n", "")
    broken = tmp_path / "catalog.yaml"
    text = SHIPPED_CATALOG.read_text().replace("    team: shop-payments\n", "    team: nobody\n")
    broken.write_text(text)
    assert await incidents("check-catalog", str(broken), env=env) == Outcome(
        1, "", f"error: {broken}: services.shop-payments.team: unknown team 'nobody'\n"
    )
