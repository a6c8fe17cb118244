"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) pointed at the gateway by a webhook receiver.

Alerts posted to Alertmanager's own API arrive as one incident per group; resolving them resolves the incident.
Two Alertmanagers that are not clustered send every notification twice: still one incident, one page per step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from adapters.catalog_file import LoadedCatalog
from adapters.incident_client import get_status
from adapters.keyed_triggers import find_open_incident, keyed_incident_id
from api.server import ACCESS_LOGGER, running_api
from domain.models import Priority, Status
from tests.support.gateway import ALERTMANAGER_KEY, exists, gateway_settings
from tests.support.receiver import Receiver
from worker import build_worker
from workflows.incident import IncidentWorkflow

GROUP_KEY = '{}:{alertname="CheckoutErrorRate", service="shop-payments"}'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def running_alertmanager(data_dir: Path, api_port: int) -> AsyncIterator[str]:
    """A lone Alertmanager (no cluster) on a free port whose only receiver is the gateway at ``api_port``; its URL."""
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert binary, "install the Debian package prometheus-alertmanager (make test does: scripts/install-test-deps)"
    port = free_port()
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
    data_dir.mkdir(parents=True)
    config_path = data_dir / "alertmanager.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        binary,
        f"--config.file={config_path}",
        f"--storage.path={data_dir / 'am-data'}",
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
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


@pytest.fixture
async def alertmanager(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    """Alertmanager on a free port whose only receiver is the gateway (at the port it yields as well)."""
    api_port = free_port()
    async with running_alertmanager(tmp_path / "alertmanager", api_port) as url:
        yield url, api_port


def alert(
    ends_at: datetime | None = None, instance: str = "web-1", alertname: str = "CheckoutErrorRate"
) -> dict[str, object]:
    body: dict[str, object] = {
        "labels": {
            "alertname": alertname,
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


class Notifications(logging.Handler):
    """The access log's lines for Alertmanager's posts, with the time each was answered."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.answered: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        if "/v1/integrations/alertmanager" in line:
            self.answered.append((record.created, line.rsplit(" ", 1)[-1]))


async def sent_notifications(http: httpx.AsyncClient, alertmanager_url: str) -> tuple[int, int]:
    """(sent, failed) webhook notifications, from Alertmanager's own metrics."""
    text = (await http.get(f"{alertmanager_url}/metrics")).text
    counts = {}
    for name in ("alertmanager_notifications_total", "alertmanager_notifications_failed_total"):
        found = re.search(rf'^{name}{{integration="webhook"[^}}]*}} (\d+)', text, re.MULTILINE)
        counts[name] = int(found.group(1)) if found else 0
    return counts["alertmanager_notifications_total"], counts["alertmanager_notifications_failed_total"]


async def until_sent(http: httpx.AsyncClient, urls: list[str], count: int) -> list[tuple[int, int]]:
    for _ in range(300):
        sent = [await sent_notifications(http, url) for url in urls]
        if all(total >= count for total, _ in sent):
            return sent
        await asyncio.sleep(0.1)
    return sent


async def test_two_alertmanagers_that_are_not_clustered_make_one_incident_one_page_one_resolved_page(
    dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path
) -> None:
    api_port = free_port()
    client = dev_env.client
    name = f"CheckoutErrorRate{uuid.uuid4().hex[:8]}"  # a group of its own on this dev server
    key = f'alertmanager:prometheus:{{}}:{{alertname="{name}", service="shop-payments"}}'
    access = logging.getLogger(ACCESS_LOGGER)
    answered, level = Notifications(), access.level
    access.addHandler(answered)
    access.setLevel(logging.INFO)
    try:
        async with (
            Receiver() as receiver,
            running_alertmanager(tmp_path / "am-1", api_port) as first,
            running_alertmanager(tmp_path / "am-2", api_port) as second,
            httpx.AsyncClient() as http,
        ):
            settings = gateway_settings(tmp_path, webhook_url=receiver.url("/pages"))
            async with (
                build_worker(client, settings, catalog, http),
                running_api(settings, client, host="127.0.0.1", port=api_port),
            ):
                # Prometheus sends every alert to every Alertmanager; each notifies on its own.
                firing = [alert(alertname=name), alert(instance="web-2", alertname=name)]
                posted = await asyncio.gather(
                    *[http.post(f"{url}/api/v2/alerts", json=firing) for url in (first, second)]
                )
                assert [response.status_code for response in posted] == [200, 200]
                assert await until_sent(http, [first, second], 1) == [(1, 0), (1, 0)]

                now = datetime.now(UTC)
                resolved = [alert(ends_at=now, alertname=name), alert(ends_at=now, instance="web-2", alertname=name)]
                posted = await asyncio.gather(
                    *[http.post(f"{url}/api/v2/alerts", json=resolved) for url in (first, second)]
                )
                assert [response.status_code for response in posted] == [200, 200]
                record = await asyncio.wait_for(
                    client.get_workflow_handle_for(IncidentWorkflow.run, keyed_incident_id(key, 1)).result(), 60
                )
                assert await until_sent(http, [first, second], 2) == [(2, 0), (2, 0)]
                await asyncio.sleep(1.0)  # anything a duplicate could still set off has had time to show
                second_incident = await exists(client, keyed_incident_id(key, 2))
    finally:
        access.removeHandler(answered)
        access.setLevel(level)

    assert second_incident is False
    assert [status for _, status in answered.answered] == ["202", "200", "200", "200"]
    pages = Counter((page.json["incident_id"], page.json["event"]) for page in receiver.requests)
    assert pages == {(keyed_incident_id(key, 1), "escalation"): 1, (keyed_incident_id(key, 1), "resolved"): 1}
    assert (record.resolved_by, [e.kind for e in record.timeline].count("escalation.level_paged")) == (
        "monitoring:prometheus",
        1,
    )
    resolved_gap = answered.answered[3][0] - answered.answered[2][0]
    print(f"the two resolved notifications were answered {resolved_gap * 1000:.1f} ms apart")
