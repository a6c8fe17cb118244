"""`incidents dev`: the embedded system serves the demo, keeps incidents across restarts, and registers the search
attributes an older database lacks."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from adapters.keyed_triggers import keyed_incident_id
from starter.dev import find_temporal
from tests.support.cli import (
    INCIDENT_ID,
    Outcome,
    accepts_connections,
    clean_environment,
    free_port,
    incidents,
)
from tests.support.settings import ROOT

VISIBILITY_TIMEOUT = 10.0
DEV_START_TIMEOUT = 90.0
"""The dev server, the worker and the API come up from nothing: a cold start on this machine takes ~20 s."""
DEV_STOP_TIMEOUT = 30.0


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
