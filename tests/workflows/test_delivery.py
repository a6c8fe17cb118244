"""Pages through a real webhook receiver on the time-skipping server: retries, refusals, a clock that never waits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog
from domain.policy.notification_retries import idempotency_key
from domain.views.record import IncidentStatusView
from tests.support.incidents import events, minutes, offset, start, status
from tests.support.receiver import Receiver
from tests.support.settings import make_settings
from tests.support.workers import worker_for


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


@pytest.fixture
async def paging_worker(
    time_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path, receiver: Receiver
) -> AsyncIterator[Worker]:
    settings = make_settings(tmp_path, webhook_url=receiver.url("/pages"), webhook_timeout_seconds=2)
    async with worker_for(time_env, settings, catalog, http_timeout=2) as running:
        yield running


def attempts(view: IncidentStatusView, step: str, channel: str = "webhook") -> list[tuple[str, int, timedelta]]:
    """(outcome, attempt, offset) of every delivery attempt of one page on one channel."""
    return [
        (entry.kind.removeprefix("notification."), int(entry.data["attempt"] or 0), offset(view.opened_at, entry.at))
        for entry in view.timeline
        if entry.kind.startswith("notification.") and entry.data["step"] == step and entry.data["channel"] == channel
    ]


async def test_server_errors_are_retried_with_the_same_idempotency_key_until_delivered(
    time_env: WorkflowEnvironment, paging_worker: Worker, receiver: Receiver
) -> None:
    receiver.script(500, 503, 200)
    handle = await start(time_env.client, paging_worker.task_queue)
    await time_env.sleep(timedelta(seconds=30))
    view = await status(handle)
    assert attempts(view, "page-0") == [
        ("retrying", 1, timedelta(0)),
        ("retrying", 2, timedelta(seconds=2)),
        ("delivered", 3, timedelta(seconds=6)),
    ]
    key = idempotency_key(handle.id, "page-0", "webhook")
    assert [r.idempotency_key for r in receiver.requests] == [key, key, key]
    assert receiver.deliveries[key] == 1
    body = receiver.requests[-1].json
    assert (body["event"], body["step"], body["priority"], body["level"], body["recipients"]) == (
        "escalation",
        "page-0",
        "P1",
        1,
        ["amara"],
    )
    assert attempts(view, "page-0", channel="log") == [("delivered", 1, timedelta(0))]


async def test_a_refused_page_is_recorded_once_and_not_retried(
    time_env: WorkflowEnvironment, paging_worker: Worker, receiver: Receiver
) -> None:
    receiver.script(400)
    handle = await start(time_env.client, paging_worker.task_queue)
    await time_env.sleep(timedelta(seconds=30))
    view = await status(handle)
    assert attempts(view, "page-0") == [("failed", 1, timedelta(0))]
    assert len(receiver.requests) == 1
    failure = next(e for e in view.timeline if e.kind == "notification.failed")
    assert (
        failure.message == "escalation via webhook to amara: failed (attempt 1: ChannelRejected: HTTP 400 Bad Request)"
    )


async def test_a_channel_that_is_down_never_moves_the_escalation_clock(
    time_env: WorkflowEnvironment, paging_worker: Worker, receiver: Receiver
) -> None:
    receiver.script(*[500] * 200)
    handle = await start(time_env.client, paging_worker.task_queue)
    await time_env.sleep(minutes(25))
    view = await status(handle)
    assert events(view, "escalation.level_paged") == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("escalation.level_paged", minutes(5), "L2/pass1"),
        ("escalation.level_paged", minutes(15), "L3/pass1"),
    ]
    # Twelve attempts, 2 s doubling to a 5 min cap: the last at 23.5 min, then the page is given up.
    page_0 = attempts(view, "page-0")
    assert [outcome for outcome, _, _ in page_0] == ["retrying"] * 11 + ["failed"]
    # Each gap is the backoff plus the few real milliseconds an attempt takes, so compare gaps, not sums.
    moments = [
        entry.at
        for entry in view.timeline
        if entry.kind.startswith("notification.")
        and entry.data["step"] == "page-0"
        and entry.data["channel"] == "webhook"
    ]
    gaps = [round((later - earlier).total_seconds()) for earlier, later in pairwise(moments)]
    assert gaps == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
