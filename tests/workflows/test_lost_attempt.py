"""A delivery attempt lost with its worker: the heartbeat stops, Temporal times the attempt out, the next one starts
at once (no backoff: the channel did nothing wrong), and both attempts are on the timeline.

On the dev server with the worker's own activities, delivery replaced: the first webhook attempt at level 1's page
goes silent (it never heartbeats and never answers, as if its worker had been killed mid-send); every other attempt
is delivered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from adapters.catalog_file import LoadedCatalog
from domain.messages.actions import ResolveRequest
from domain.messages.steps import DeliveryResult, NotificationRequest
from domain.views.record import IncidentRecord
from tests.support.incidents import start, status, terminate_open
from tests.support.settings import make_settings
from worker import build_worker
from workflows.incident import IncidentWorkflow
from workflows.page_delivery import RETRY_LOST_AT_ONCE


@dataclass
class SilentFirstAttempt:
    """Fake ``send_notification``: the first webhook attempt at ``page-0`` hangs silently until ``release`` is set."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    attempts: list[tuple[str, str]] = field(default_factory=list)

    @activity.defn(name="send_notification")
    async def send_notification(self, request: NotificationRequest) -> DeliveryResult:
        self.attempts.append((request.page.step, request.channel))
        if (request.page.step, request.channel) == ("page-0", "webhook") and self.attempts.count(
            ("page-0", "webhook")
        ) == 1:
            await self.release.wait()  # no heartbeat: to Temporal this worker is gone
        return DeliveryResult(channel=request.channel, detail="HTTP 200")


@dataclass
class Running:
    worker: Worker
    fake: SilentFirstAttempt


@pytest.fixture
async def running(dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path) -> AsyncIterator[Running]:
    settings = make_settings(tmp_path, webhook_url="http://127.0.0.1:9/pages")
    fake = SilentFirstAttempt()
    async with httpx.AsyncClient() as http:
        # The worker's own activities, built on a queue nobody polls, with delivery replaced.
        template = settings.model_copy(update={"task_queue": f"{settings.task_queue}-template"})
        config = build_worker(dev_env.client, template, catalog, http).config()
        activities = [a for a in config["activities"] if getattr(a, "__name__", "") != "send_notification"]
        config["activities"] = [*activities, fake.send_notification]
        config["task_queue"] = settings.task_queue
        async with Worker(**config) as worker:
            yield Running(worker, fake)
            fake.release.set()
            await terminate_open(dev_env.client, worker.task_queue)


async def test_an_attempt_whose_worker_went_silent_is_retried_at_once_and_recorded(
    dev_env: WorkflowEnvironment, running: Running
) -> None:
    handle = await start(dev_env.client, running.worker.task_queue)
    view = await status(handle)
    while not any(e.kind == "notification.delivered" and e.data["channel"] == "webhook" for e in view.timeline):
        await asyncio.sleep(0.1)
        view = await status(handle)

    attempts = [
        (e.kind, e.data["attempt"], e.message)
        for e in view.timeline
        if e.kind.startswith("notification.") and e.data["channel"] == "webhook"
    ]
    assert attempts == [
        (
            "notification.retrying",
            1,
            "escalation via webhook to amara: retrying (attempt 1: activity Heartbeat timeout: the worker running the "
            "attempt went silent; next try at once)",
        ),
        ("notification.delivered", 2, "escalation via webhook to amara: delivered (attempt 2: HTTP 200)"),
    ]
    assert running.fake.attempts.count(("page-0", "webhook")) == 2

    await handle.execute_update(IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="s", root_cause="r"))
    record: IncidentRecord = await handle.result()
    assert sorted((d.step, d.channel, d.outcome, d.attempts) for d in record.notifications) == [
        ("page-0", "log", "delivered", 1),
        ("page-0", "webhook", "delivered", 2),
        ("resolved", "log", "delivered", 1),
        ("resolved", "webhook", "delivered", 1),
    ]
    history = await handle.fetch_history()
    kinds = [event.event_type for event in history.events]
    timed_out = kinds.index(EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)
    retried = kinds.index(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, timed_out)
    assert EventType.EVENT_TYPE_TIMER_STARTED not in kinds[timed_out:retried], "the retry waited for a backoff timer"
    markers = [
        e.marker_recorded_event_attributes for e in history.events if e.HasField("marker_recorded_event_attributes")
    ]
    patches = [
        json.loads(m.details["patch-data"].payloads[0].data)["id"] for m in markers if m.marker_name == "core_patch"
    ]
    assert patches.count(RETRY_LOST_AT_ONCE) == 1
    # The history this wrote replays against the code that wrote it.
    replayer = Replayer(workflows=[IncidentWorkflow], data_converter=pydantic_data_converter)
    assert (await replayer.replay_workflow(history, raise_on_replay_failure=False)).replay_failure is None
