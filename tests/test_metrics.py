"""Prometheus metrics: the project's counters and the SDK's, scraped from a worker's runtime on the dev server.

Every test has its own Temporal runtime with its own exporter on a free port, so the counts start at zero.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.classify import ClassifyActivities
from activities.close import close_incident
from activities.document import DocumentActivities
from activities.notify import LogChannel, NotifyActivities
from adapters.archive import archive_url, create_archive_engine
from adapters.catalog_file import LoadedCatalog, load_catalog
from adapters.metrics import prometheus_runtime
from adapters.settings import Settings
from domain.messages.actions import AcknowledgeRequest, EscalateRequest, NoteRequest, ResolveRequest
from tests.support.catalogs import fast_catalog
from tests.support.incidents import start, status, terminate_open
from tests.support.receiver import Receiver
from tests.support.settings import make_settings
from worker import build_archive, build_worker
from workflows.incident import IncidentWorkflow

HISTORIES = sorted((Path(__file__).resolve().parent / "histories").glob("*.json"))
PROJECT_METRICS = {
    "incidents_opened",
    "incident_escalations",
    "incident_sla_warnings",
    "incident_sla_breaches",
    "notification_failures",
}
_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def scrape(port: int) -> list[Sample]:
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    samples = []
    for line in response.text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        labels = dict(_LABEL.findall(match["labels"] or ""))
        samples.append(Sample(match["name"], labels, float(match["value"])))
    return samples


def counts(samples: list[Sample], name: str, *labels: str) -> dict[tuple[str, ...], float]:
    """The samples of one metric, keyed by the values of ``labels``."""
    return {tuple(s.labels[label] for label in labels): s.value for s in samples if s.name == name}


async def metrics_client(dev_env: WorkflowEnvironment, runtime: Runtime) -> Client:
    return await Client.connect(
        dev_env.client.service_client.config.target_host,
        namespace=dev_env.client.namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )


async def wait_until(condition: Callable[[], Any], seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def wait_for_level(handle: WorkflowHandle[Any, Any], level: int) -> None:
    async def reached() -> bool:
        step = (await status(handle)).escalation
        return step is not None and step.level == level

    await wait_until(reached, seconds=15)


async def test_an_incident_from_page_to_resolution_is_counted_once_per_event(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    catalog_path = fast_catalog(tmp_path, delay="3s")
    data = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))
    data["sla"]["P1"] = {"acknowledge": "4s", "resolve": "1h"}  # warnings at 2 s and 3 s, breached at 4 s
    catalog_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    catalog = load_catalog(catalog_path)
    port = free_port()
    client = await metrics_client(dev_env, prometheus_runtime(f"127.0.0.1:{port}", {"deployment": "test"}))
    async with Receiver(default=400) as receiver, httpx.AsyncClient(timeout=2) as http:
        settings = make_settings(tmp_path, catalog_path=catalog_path, webhook_url=receiver.url("/pages"))
        try:
            async with build_worker(client, settings, catalog, http):
                handle = await start(client, settings.task_queue)
                await wait_for_level(handle, 2)  # by the timer, 3 s after opening
                await handle.execute_update(IncidentWorkflow.escalate, EscalateRequest(by="amara", reason="db down"))

                async def breached() -> bool:
                    return bool(counts(await scrape(port), "incident_sla_breaches", "clock"))

                await wait_until(breached, seconds=15)
                await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))
                await handle.execute_update(
                    IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="failover", root_cause="disk full")
                )
                record = await handle.result()
        finally:
            await terminate_open(client, settings.task_queue)
        samples = await scrape(port)
        failed_pages = len(receiver.requests)

    assert counts(samples, "incidents_opened", "priority", "workflow_type") == {("P1", "IncidentWorkflow"): 1}
    assert counts(samples, "incident_escalations", "level", "manual") == {("2", "false"): 1, ("3", "true"): 1}
    assert counts(samples, "incident_sla_warnings", "clock") == {("acknowledge",): 2}
    assert counts(samples, "incident_sla_breaches", "clock") == {("acknowledge",): 1}
    webhook_failures = [
        e for e in record.timeline if e.kind == "notification.failed" and e.data["channel"] == "webhook"
    ]
    assert failed_pages == len(webhook_failures) >= 5  # pages for levels 1–3 and both SLA warnings, at least
    assert counts(samples, "notification_failures", "channel", "activity_type") == {
        ("webhook", "send_notification"): failed_pages
    }
    ours = [s for s in samples if s.name in PROJECT_METRICS]
    assert {s.labels["deployment"] for s in ours} == {"test"}
    assert {s.labels["task_queue"] for s in ours} == {settings.task_queue}
    assert counts(samples, "temporal_workflow_completed", "workflow_type") == {("IncidentWorkflow",): 1}
    assert "temporal_request" in {s.name for s in samples}


async def test_replaying_a_committed_history_emits_no_project_metrics(tmp_path: Path) -> None:
    port = free_port()
    runtime = prometheus_runtime(f"127.0.0.1:{port}")
    replayer = Replayer(workflows=[IncidentWorkflow], data_converter=pydantic_data_converter, runtime=runtime)
    for path in HISTORIES:
        history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
        result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
        assert result.replay_failure is None
    samples = await scrape(port)
    assert [s for s in samples if s.name in PROJECT_METRICS] == []


def uncached_worker(client: Client, settings: Settings, catalog: LoadedCatalog) -> Worker:
    """The production activities with no workflow cache: every workflow task replays the whole history first."""
    classify = ClassifyActivities(catalog, settings.channels)
    notify = NotifyActivities({"log": LogChannel()})
    document = DocumentActivities(settings.records_dir, build_archive(create_archive_engine(archive_url(settings))))
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[IncidentWorkflow],
        activities=[classify.classify_incident, notify.send_notification, close_incident, document.document_incident],
        max_cached_workflows=0,
    )


async def test_counters_do_not_double_when_workers_replay_the_incident(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    catalog_path = fast_catalog(tmp_path, delay="3s")
    catalog = load_catalog(catalog_path)
    settings = make_settings(tmp_path, catalog_path=catalog_path)
    port = free_port()
    client = await metrics_client(dev_env, prometheus_runtime(f"127.0.0.1:{port}"))
    try:
        async with uncached_worker(client, settings, catalog):
            handle = await start(client, settings.task_queue)
            await wait_for_level(handle, 1)
        # Replaced mid-incident: the new worker rebuilds the incident from its history on every task.
        async with uncached_worker(client, settings, catalog):
            await wait_for_level(handle, 2)
            await handle.execute_update(IncidentWorkflow.escalate, EscalateRequest(by="amara", reason="db down"))
            await handle.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="amara"))
            await handle.execute_update(
                IncidentWorkflow.add_note, NoteRequest(by="amara", text="failing over to the replica")
            )
            await handle.execute_update(
                IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="failover", root_cause="disk full")
            )
            record = await handle.result()
    finally:
        await terminate_open(client, settings.task_queue)
    samples = await scrape(port)

    assert [(e.level, e.by) for e in record.escalations] == [(1, None), (2, None), (3, "amara")]
    assert counts(samples, "incidents_opened", "priority") == {("P1",): 1}
    assert counts(samples, "incident_escalations", "level", "manual") == {("2", "false"): 1, ("3", "true"): 1}
    assert counts(samples, "incident_sla_warnings", "clock") == {}
    assert counts(samples, "incident_sla_breaches", "clock") == {}
    assert counts(samples, "notification_failures", "channel") == {}
    assert counts(samples, "temporal_workflow_completed", "workflow_type") == {("IncidentWorkflow",): 1}
