"""The ``incidents`` command as people run it: a subprocess against a real dev server.

A worker runs in this process on a fresh task queue; the CLI runs through ``asyncio.create_subprocess_exec`` so
the event loop (and so the worker) keeps going while a command waits for it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.catalog_file import LoadedCatalog
from adapters.keyed_triggers import keyed_incident_id
from starter.dev import find_temporal
from tests.conftest import EXAMPLE_CATALOG, ROOT, make_settings
from worker import build_worker

COMMAND_TIMEOUT = 60.0
VISIBILITY_TIMEOUT = 10.0
DEV_START_TIMEOUT = 90.0
DEV_STOP_TIMEOUT = 30.0
INCIDENT_ID = r"INC-[A-Z2-7]{10}"

PAYMENTS = (
    "--title", "Payments failing for all users", "--service", "shop-payments", "--category", "application_error",
    "--source", "monitoring", "--impact", "all_users", "--urgency", "high", "--reporter", "checkout-monitor",
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    code: int | None
    stdout: str
    stderr: str


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without Temporal or incidents settings that could leak in, plus ``extra``.

    The virtualenv's bin directory leads PATH, as for a user who activated it.
    """
    kept = {key: value for key, value in os.environ.items() if not key.startswith(("TEMPORAL_", "INCIDENTS_"))}
    kept["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), kept.get("PATH", "")])
    return kept | {"INCIDENTS_CATALOG_PATH": str(EXAMPLE_CATALOG)} | extra


async def incidents(*args: str, env: dict[str, str]) -> Outcome:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "starter",
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.communicate()
        raise
    return Outcome(process.returncode, stdout.decode(), stderr.decode())


@dataclass(frozen=True)
class Cli:
    env: dict[str, str]

    async def __call__(self, *args: str) -> Outcome:
        return await incidents(*args, env=self.env)


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


async def report_payments(cli: Cli) -> str:
    reported = await cli("report", *PAYMENTS)
    match = re.fullmatch(f"({INCIDENT_ID}) P1\n", reported.stdout)
    assert (reported.code, reported.stderr, match is not None) == (0, "", True), reported
    assert match is not None
    return match.group(1)


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


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
        "on_call": [],
        "sla_breached": False,
        "reporter": "checkout-monitor",
        "on_behalf_of": None,
        "triggers": 0,
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
    text = EXAMPLE_CATALOG.read_text().replace("    team: shop-payments\n", "    team: nobody\n")
    broken.write_text(text)
    assert await incidents("check-catalog", str(broken), env=env) == Outcome(
        1, "", f"error: {broken}: services.shop-payments.team: unknown team 'nobody'\n"
    )


@dataclass
class DevRun:
    process: asyncio.subprocess.Process
    lines: list[str]


async def start_dev(args: list[str], env: dict[str, str], stderr: Path) -> DevRun:
    """``incidents dev`` started and read up to the line it prints when it is serving."""
    with stderr.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "starter", "dev", *args, cwd=ROOT, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=log,
        )  # fmt: skip
    run = DevRun(process, [])
    assert process.stdout is not None
    try:
        async with asyncio.timeout(DEV_START_TIMEOUT):
            while not run.lines or not run.lines[-1].startswith("Ctrl-C stops"):
                line = await process.stdout.readline()
                assert line, f"incidents dev exited early: {run.lines}\n{stderr.read_text()}"
                run.lines.append(line.decode().rstrip("\n"))
    except BaseException:
        await stop_dev(run, signal.SIGKILL)
        raise
    return run


async def stop_dev(run: DevRun, sig: signal.Signals = signal.SIGINT) -> int | None:
    if run.process.returncode is None:
        run.process.send_signal(sig)
    assert run.process.stdout is not None
    async with asyncio.timeout(DEV_STOP_TIMEOUT):
        rest = await run.process.stdout.read()
        code = await run.process.wait()
    run.lines += rest.decode().splitlines()
    return code


async def listed_all(env: dict[str, str], count: int) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + VISIBILITY_TIMEOUT
    while True:
        outcome = await incidents("list", "--json", env=env)
        assert (outcome.code, outcome.stderr) == (0, ""), outcome
        items: list[dict[str, Any]] = json.loads(outcome.stdout)
        if len(items) >= count or asyncio.get_running_loop().time() > deadline:
            return items
        await asyncio.sleep(0.5)


def accepts_connections(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


DEMO_USERS = ["amara", "bruno", "chen", "dana", "emil", "fatima", "gustav", "hana", "ivan", "jade", "kofi", "lena"]
TOKEN = r"[A-Za-z0-9_-]{43}"


def demo_credentials(lines: list[str], api_port: int) -> dict[str, str]:
    """The API lines ``incidents dev`` prints, checked; answers each demo integration's key and user's token."""
    base = f"http://127.0.0.1:{api_port}"
    start = lines.index(f"API on {base} (docs: {base}/docs)")
    printed = lines[start + 1 : start + 5 + len(DEMO_USERS)]
    patterns = [
        rf"  demo-api: POST {base}/v1/incidents with Authorization: Bearer (?P<api>{TOKEN})",
        rf"  demo-alertmanager: webhook_configs url {base}/v1/integrations/alertmanager/(?P<alertmanager>{TOKEN})",
        rf"  demo-pagerduty: POST {base}/v2/enqueue with routing_key (?P<pagerduty>{TOKEN})",
        r"  responder tokens \(Authorization: Bearer <token>\):",
        *(rf"    {user} (?P<{user}>{TOKEN})" for user in DEMO_USERS),
    ]
    found: dict[str, str] = {}
    for line, pattern in zip(printed, patterns, strict=True):
        match = re.fullmatch(pattern, line)
        assert match is not None, (line, pattern)
        found |= match.groupdict()
    assert lines[start + 5 + len(DEMO_USERS)].startswith("Temporal UI: ")
    return found


async def test_dev_serves_the_demo_and_keeps_incidents_across_restarts(tmp_path: Path) -> None:
    port, ui_port, api_port = free_port(), free_port(), free_port()
    args = ["--data-dir", str(tmp_path / "data"), "--port", str(port), "--ui-port", str(ui_port)]
    args += ["--api-port", str(api_port)]
    env = clean_environment()
    cli_env = clean_environment(TEMPORAL_ADDRESS=f"localhost:{port}")

    first = await start_dev(args, env, tmp_path / "dev.log")
    try:
        demo = first.lines[first.lines.index("Reported the demo incidents:") + 1 :][:4]
        matches = [re.fullmatch(rf"  ({INCIDENT_ID}) (P\d)  (.*)", line) for line in demo]
        reported = [match.groups() for match in matches if match is not None]
        assert [(priority, what) for _, priority, what in reported] == [
            ("P1", "shop-payments: Payments failing for all users"),
            ("P2", "saas-dashboard: Dashboard not loading the latest data"),
            ("P1", "bank-partner-api: Partner API is down"),
            ("P3", "logistics-tracking: Tracking page late updating parcel status"),
        ]
        payments = reported[0][0]
        db_file = tmp_path / "data" / "temporal.db"
        ui_line = f"Temporal UI: http://localhost:{ui_port}/namespaces/default/workflows"
        assert first.lines[first.lines.index(ui_line) :] == [
            ui_line,
            "Try, in another terminal:",
            f"  export TEMPORAL_ADDRESS=localhost:{port}",
            "  incidents list",
            f"  incidents status {payments}",
            f"  incidents ack {payments} --by amara",
            f"  incidents resolve {payments} --by amara --root-cause 'bad deploy' --summary 'rolled back the deploy'",
            f"Ctrl-C stops the API, the worker and the server; incidents are kept in {db_file}.",
        ]
        listed_first = await listed_all(cli_env, 4)
        assert sorted((item["incident_id"], item["priority"], item["status"]) for item in listed_first) == sorted(
            (incident_id, priority, "triggered") for incident_id, priority, _ in reported
        )
        credentials = demo_credentials(first.lines, api_port)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as http:
            amara = {"Authorization": f"Bearer {credentials['amara']}"}
            acknowledged = await http.post(f"/v1/incidents/{payments}/acknowledge", headers=amara)
            event = {"routing_key": credentials["pagerduty"], "event_action": "trigger", "dedup_key": "disk-full"}
            event["payload"] = {"summary": "Disk full on db-1", "source": "db-1", "severity": "warning"}
            triggered = await http.post("/v2/enqueue", json=event)
        assert (acknowledged.status_code, acknowledged.json()["status"], acknowledged.json()["assignee"]) == (
            200,
            "acknowledged",
            "amara",
        )
        assert (triggered.status_code, triggered.json()) == (
            202,
            {"status": "success", "message": "Event processed", "dedup_key": "disk-full"},
        )
    finally:
        code = await stop_dev(first)
    assert code == 0, first.lines
    assert first.lines[-1] == "stopping: the API and the worker first, then the Temporal server"
    assert not accepts_connections(port)
    assert not accepts_connections(api_port)

    second = await start_dev(args, env, tmp_path / "dev.log")
    try:
        assert "Reported the demo incidents:" not in second.lines
        listed_again = await listed_all(cli_env, 5)
        assert sorted(item["incident_id"] for item in listed_again) == sorted(
            [item[0] for item in reported] + [keyed_incident_id("pagerduty:demo-pagerduty:disk-full", 1)]
        )
        again = demo_credentials(second.lines, api_port)
        assert [again[name] == credentials[name] for name in credentials] == [False] * len(credentials)
    finally:
        code = await stop_dev(second)
    assert code == 0, second.lines


async def test_dev_registers_search_attributes_missing_from_an_existing_database(tmp_path: Path) -> None:
    """The dev server ignores ``--search-attribute`` for names an existing database does not have yet."""
    port, ui_port = free_port(), free_port()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with (tmp_path / "old.log").open("wb") as log:
        old = await asyncio.create_subprocess_exec(
            find_temporal(), "server", "start-dev", "--db-filename", str(data_dir / "temporal.db"),
            "--port", str(port), "--ui-port", str(ui_port), "--search-attribute", "IncidentStatus=Keyword",
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
    try:
        async with asyncio.timeout(DEV_START_TIMEOUT):
            while not accepts_connections(port):
                await asyncio.sleep(0.25)
    finally:
        old.terminate()
        async with asyncio.timeout(DEV_STOP_TIMEOUT):
            await old.wait()

    args = ["--data-dir", str(data_dir), "--port", str(port), "--ui-port", str(ui_port), "--no-demo"]
    args += ["--api-port", str(free_port())]
    configured = clean_environment(
        INCIDENTS_INTEGRATIONS='[{"name": "prom", "kind": "alertmanager", "key": "configured-key-0123456789"}]',
        INCIDENTS_RESPONDER_TOKENS='[{"user": "kofi", "token": "configured-token-0123456789"}]',
    )
    run = await start_dev(args, configured, tmp_path / "dev.log")
    try:
        assert "Reported the demo incidents:" not in run.lines
        assert run.lines[1 + run.lines.index(next(line for line in run.lines if line.startswith("API on "))) :][:2] == [
            "  integrations from INCIDENTS_INTEGRATIONS: prom (alertmanager)",
            "  responder tokens from INCIDENTS_RESPONDER_TOKENS: kofi",
        ]
        assert not [line for line in run.lines if "configured-key" in line or "configured-token" in line]
        assert run.lines[-2].startswith("  incidents report --title ")
        listed = await incidents("list", "--priority", "P1", "--team", "shop-payments", env=clean_environment(
            TEMPORAL_ADDRESS=f"localhost:{port}"
        ))  # fmt: skip
        assert listed == Outcome(0, "no incidents\n", "")
    finally:
        code = await stop_dev(run)
    assert code == 0, run.lines
