"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) pointed at the gateway by a webhook receiver.

Alerts posted to Alertmanager's own API arrive as one incident per group; resolving them resolves the incident.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from api.server import running_api
from domain.models import Priority, Status
from runtime.catalog_file import LoadedCatalog
from runtime.incidents import get_status
from runtime.triggers import find_open_incident, keyed_incident_id
from tests.api.conftest import ALERTMANAGER_KEY, gateway_settings
from worker import build_worker
from workflows.incident import IncidentWorkflow

GROUP_KEY = '{}:{alertname="CheckoutErrorRate", service="shop-payments"}'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def alertmanager(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    """Alertmanager on a free port whose only receiver is the gateway (at the port it yields as well)."""
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert binary, "install the Debian package prometheus-alertmanager (.ci/run does)"
    api_port, port = free_port(), free_port()
    config = {
        "route": {
            "receiver": "incidents",
            "group_by": ["alertname", "service"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {
                "name": "incidents",
                "webhook_configs": [
                    {
                        "url": f"http://127.0.0.1:{api_port}/v1/integrations/alertmanager",
                        "send_resolved": True,
                        "http_config": {"authorization": {"credentials": ALERTMANAGER_KEY}},
                    }
                ],
            }
        ],
    }
    config_path = tmp_path / "alertmanager.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        binary,
        f"--config.file={config_path}",
        f"--storage.path={tmp_path / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(100):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/-/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield f"http://127.0.0.1:{port}", api_port
    finally:
        process.terminate()
        await process.wait()


def alert(ends_at: datetime | None = None, instance: str = "web-1") -> dict[str, object]:
    body: dict[str, object] = {
        "labels": {
            "alertname": "CheckoutErrorRate",
            "service": "shop-payments",
            "severity": "critical",
            "impact": "all_users",
            "instance": instance,
        },
        "annotations": {"summary": "Payments failing for all users", "description": "5xx above 20% for 2 minutes"},
        "startsAt": (datetime.now(UTC) - timedelta(minutes=2)).isoformat(),
    }
    if ends_at is not None:
        body["endsAt"] = ends_at.isoformat()
    return body


async def test_alerts_from_a_real_alertmanager_open_one_incident_and_resolve_it(
    dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path, alertmanager: tuple[str, int]
) -> None:
    alertmanager_url, api_port = alertmanager
    settings = gateway_settings(tmp_path)
    client = dev_env.client
    key = f"alertmanager:prometheus:{GROUP_KEY}"
    async with (
        httpx.AsyncClient() as http,
        build_worker(client, settings, catalog, http),
        running_api(settings, client, host="127.0.0.1", port=api_port),
    ):
        posted = await http.post(f"{alertmanager_url}/api/v2/alerts", json=[alert(), alert(instance="web-2")])
        assert posted.status_code == 200
        incident_id = None
        for _ in range(200):
            incident_id = await find_open_incident(client, key)
            if incident_id is not None:
                break
            await asyncio.sleep(0.1)
        assert incident_id == keyed_incident_id(key, 1)
        view = await get_status(client, incident_id)
        assert (view.status, view.priority, view.service, view.team) == (
            Status.TRIGGERED,
            Priority.P1,
            "shop-payments",
            "shop-payments",
        )

        now = datetime.now(UTC)
        posted = await http.post(
            f"{alertmanager_url}/api/v2/alerts", json=[alert(ends_at=now), alert(ends_at=now, instance="web-2")]
        )
        assert posted.status_code == 200
        handle = client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
        record = await asyncio.wait_for(handle.result(), timeout=60)
    assert (record.resolved_by, record.root_cause) == (
        "monitoring:prometheus",
        "not recorded: resolved by monitoring",
    )
    assert [e.kind for e in record.timeline if e.kind.startswith(("trigger.", "alert."))].count("trigger.received") == 1
    assert sorted(e.kind for e in record.timeline if e.kind.startswith("alert.")) == [
        "alert.firing",
        "alert.firing",
        "alert.resolved",
        "alert.resolved",
    ]
