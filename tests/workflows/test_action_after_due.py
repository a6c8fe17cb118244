"""An action that reaches the incident in the same workflow task as an overdue timer: what fell due comes first.

After a worker dies, the incident's next task waits until another worker takes it; a responder acting meanwhile is
delivered together with the timer that fell due, and the SDK runs handlers before timers. Here no worker runs while
level 2 falls due (6 s after opening) and the responder acts (7 s, well before level 3 at 12 s); the next worker
gets both in one activation.
(The time-skipping server cannot hold a due timer back from a worker, so these run on the dev server.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import load_catalog
from adapters.settings import Settings
from domain.messages.actions import AcknowledgeRequest, NoteRequest, ResolveRequest
from domain.models import Status
from domain.views.record import IncidentRecord, IncidentStatusView
from tests.support.catalogs import fast_catalog
from tests.support.incidents import start, status
from tests.support.settings import make_settings
from worker import build_worker
from workflows.incident import IncidentWorkflow

DELAY = timedelta(seconds=6)
KINDS = ("escalation.level_paged", "incident.acknowledged", "incident.resolved", "note.added", "action.rejected")


@asynccontextmanager
async def worker_on(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Worker]:
    async with (
        httpx.AsyncClient() as http,
        build_worker(env.client, settings, load_catalog(settings.catalog_path), http) as running,
    ):
        yield running


async def level_one_then_no_worker(env: WorkflowEnvironment, settings: Settings) -> WorkflowHandle[Any, Any]:
    """Level 1 paged, then no worker until 7 s after opening: level 2 falls due at 6 s while nobody runs it."""
    loop = asyncio.get_running_loop()
    opened = loop.time()
    async with worker_on(env, settings):
        handle = await start(env.client, settings.task_queue)
        view = await status(handle)
        while not view.timeline or view.timeline[-1].kind == "incident.opened":
            await asyncio.sleep(0.05)
            view = await status(handle)
        assert [e.data["level"] for e in view.timeline if e.kind == "escalation.level_paged"] == [1]
    await asyncio.sleep(max(0.0, opened + 7 - loop.time()))
    return handle


def paged_and_acted(view: IncidentStatusView | IncidentRecord) -> list[tuple[str, object, str | None]]:
    """(kind, level or actor, due offset for escalations) in timeline order."""
    picked: list[tuple[str, object, str | None]] = []
    for entry in view.timeline:
        if entry.kind not in KINDS:
            continue
        if entry.kind == "escalation.level_paged":
            due = timedelta(seconds=round((_parse(entry.data["due"]) - view.opened_at).total_seconds(), 3))
            picked.append((entry.kind, entry.data["level"], str(due)))
        else:
            picked.append((entry.kind, entry.actor, None))
    return picked


def _parse(value: object) -> Any:
    from datetime import datetime

    assert isinstance(value, str)
    return datetime.fromisoformat(value)


async def test_acknowledge_signal_after_level_two_fell_due_pages_level_two_first(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, catalog_path=fast_catalog(tmp_path, delay="6s"))
    handle = await level_one_then_no_worker(dev_env, settings)
    await handle.signal("acknowledge", AcknowledgeRequest(by="bruno"))
    async with worker_on(dev_env, settings):
        view = await status(handle)
        while view.status is not Status.ACKNOWLEDGED:
            await asyncio.sleep(0.05)
            view = await status(handle)
        assert paged_and_acted(view) == [
            ("escalation.level_paged", 1, "0:00:00"),
            ("escalation.level_paged", 2, "0:00:06"),
            ("incident.acknowledged", "bruno", None),
        ]
        assert (view.assignee, view.escalation.level if view.escalation else None) == ("bruno", 2)
        await handle.signal("resolve", ResolveRequest(by="bruno", summary="rolled back", root_cause="bad deploy"))
        record: IncidentRecord = await handle.result()
    assert [(e.level, e.due - record.opened_at) for e in record.escalations] == [(1, timedelta(0)), (2, DELAY)]
    assert record.escalations[1].at - record.opened_at > DELAY  # paged once a worker ran it, after it fell due
    # The page that fell due before the acknowledgement still went out, once, on every channel.
    assert sorted((d.step, d.channel, d.outcome) for d in record.notifications if d.step.startswith("page-")) == [
        ("page-0", "log", "delivered"),
        ("page-1", "log", "delivered"),
    ]


async def test_resolve_update_after_level_two_fell_due_pages_level_two_then_resolves(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, catalog_path=fast_catalog(tmp_path, delay="6s"))
    handle = await level_one_then_no_worker(dev_env, settings)
    resolving = asyncio.ensure_future(
        handle.execute_update(
            IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="failed over", root_cause="expired cert")
        )
    )
    await asyncio.sleep(0.3)
    assert not resolving.done()  # an update waits for a worker to take it
    async with worker_on(dev_env, settings):
        result = await resolving
        assert (result.status, result.escalation_level) == (Status.RESOLVED, 2)
        record: IncidentRecord = await handle.result()
    assert paged_and_acted(record) == [
        ("escalation.level_paged", 1, "0:00:00"),
        ("escalation.level_paged", 2, "0:00:06"),
        ("incident.resolved", "amara", None),
    ]
    # Level 2 was paged before the resolution, so its people are told of it too.
    assert [d.recipients for d in record.notifications if d.step == "resolved"] == [["amara", "bruno"]]


async def test_note_update_after_level_two_fell_due_is_recorded_after_level_two(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, catalog_path=fast_catalog(tmp_path, delay="6s"))
    handle = await level_one_then_no_worker(dev_env, settings)
    noting = asyncio.ensure_future(
        handle.execute_update(IncidentWorkflow.add_note, NoteRequest(by="amara", text="looking at the gateway"))
    )
    await asyncio.sleep(0.3)
    async with worker_on(dev_env, settings):
        result = await noting
        assert (result.status, result.escalation_level) == (Status.TRIGGERED, 2)
        await handle.signal("resolve", ResolveRequest(by="amara", summary="restarted", root_cause="leak"))
        record: IncidentRecord = await handle.result()
    assert paged_and_acted(record) == [
        ("escalation.level_paged", 1, "0:00:00"),
        ("escalation.level_paged", 2, "0:00:06"),
        ("note.added", "amara", None),
        ("incident.resolved", "amara", None),
    ]
