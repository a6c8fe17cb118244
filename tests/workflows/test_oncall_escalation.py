"""Levels that target a schedule on the time-skipping server: the person on call when the level fires is paged.

The catalog is the example with payments-critical's levels 1 and 2 pointed at a daily rotation (amara, then bruno)
whose handoff falls three to four minutes after the incident opens: level 1 (at 0m) pages amara, level 2 (at 5m)
pages bruno, who took over in between.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog, load_catalog
from domain.messages.actions import EscalateRequest, ResolveRequest
from domain.models import Status, as_utc
from tests.support.incidents import events, minutes, offset, start, status, terminate_open
from tests.support.settings import EXAMPLE_CATALOG, make_settings
from worker import build_worker
from workflows.incident import IncidentWorkflow

KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30 all year: the handoff is written in local time


def next_minute(moment: datetime) -> datetime:
    return datetime.fromtimestamp(math.ceil(moment.timestamp() / 60) * 60, tz=UTC)


def catalog_with_schedule(
    directory: Path, handoff: datetime, *, layer_start_days: int = -1, level_two_team: bool = True
) -> LoadedCatalog:
    """The example catalog; payments-critical levels 1 and 2 page the ``payments-primary`` schedule, whose daily
    amara → bruno rotation hands off at ``handoff`` (amara's shift began a day earlier)."""
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    local = handoff.astimezone(KOLKATA)
    data["schedules"]["payments-primary"] = {
        "name": "Payments primary",
        "time_zone": "Asia/Kolkata",
        "layers": [
            {
                "name": "daily",
                "users": ["amara", "bruno"],
                "rotation": "1d",
                "handoff": local.strftime("%H:%M"),
                "start": (local.date() + timedelta(days=layer_start_days)).isoformat(),
            }
        ],
    }
    levels = data["escalation_policies"]["payments-critical"]["levels"]
    levels[0]["targets"] = [{"schedule": "payments-primary"}]
    levels[1]["targets"] = [{"schedule": "payments-primary"}] + ([{"team": "shop-platform"}] if level_two_team else [])
    path = directory / "catalog-with-schedule.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_catalog(path)


@pytest.fixture
async def opened_at(time_env: WorkflowEnvironment) -> datetime:
    return await time_env.get_current_time()


@pytest.fixture
def handoff(opened_at: datetime) -> datetime:
    return next_minute(opened_at + minutes(3))


@pytest.fixture
async def worker(time_env: WorkflowEnvironment, tmp_path: Path, handoff: datetime) -> AsyncIterator[Worker]:
    catalog = catalog_with_schedule(tmp_path, handoff)
    settings = make_settings(tmp_path)
    async with httpx.AsyncClient() as http, build_worker(time_env.client, settings, catalog, http) as running:
        yield running
        await terminate_open(time_env.client, running.task_queue)


async def on_call_answers(handle: WorkflowHandle[Any, Any]) -> list[tuple[datetime, str | None, str]]:
    """(at, user, decided_by) of every resolve_on_call result recorded in the history, in order."""
    found = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            result = json.loads(event.activity_task_completed_event_attributes.result.payloads[0].data)
            if "answers" in result:
                answer = result["answers"]["payments-primary"]
                found.append((datetime.fromisoformat(result["at"]), answer["user"], answer["layer"]))
    return found


async def test_level_two_pages_whoever_took_over_at_the_handoff(
    time_env: WorkflowEnvironment, worker: Worker, handoff: datetime
) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await time_env.sleep(minutes(20))
    view = await status(handle)
    assert timedelta(minutes=3) <= handoff - view.opened_at <= timedelta(minutes=4)
    assert events(view, "escalation.level_paged", "oncall.resolved") == [
        ("oncall.resolved", minutes(0), ""),
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("oncall.resolved", minutes(5), ""),
        ("escalation.level_paged", minutes(5), "L2/pass1"),
        ("escalation.level_paged", minutes(15), "L3/pass1"),
    ]
    assert [e.message for e in view.timeline if e.kind in ("oncall.resolved", "escalation.level_paged")] == [
        f"on call in payments-primary: amara (layer daily) until {as_utc(handoff)}",
        "paged; level 1: amara",
        f"on call in payments-primary: bruno (layer daily) until {as_utc(handoff + timedelta(days=1))}",
        "escalated: no acknowledgement; level 2: bruno, chen",
        "escalated: no acknowledgement; level 3: chen, kofi",
    ]
    assert view.escalation_targets == ["chen", "kofi"]

    answers = await on_call_answers(handle)
    assert [(offset(view.opened_at, at), user, layer) for at, user, layer in answers] == [
        (minutes(0), "amara", "daily"),
        (minutes(5), "bruno", "daily"),
    ]

    await handle.signal("resolve", ResolveRequest(by="bruno", summary="failed over", root_cause="expired TLS"))
    record = await handle.result()
    assert [
        (e.level, offset(record.opened_at, e.at), e.recipients, [(a.schedule, a.user) for a in e.on_call])
        for e in record.escalations
    ] == [
        (1, minutes(0), ["amara"], [("payments-primary", "amara")]),
        (2, minutes(5), ["bruno", "chen"], [("payments-primary", "bruno")]),
        (3, minutes(15), ["chen", "kofi"], []),
    ]


@pytest.fixture
async def worker_before_rotation(
    time_env: WorkflowEnvironment, tmp_path: Path, handoff: datetime
) -> AsyncIterator[Worker]:
    """The rotation's first shift starts at ``handoff`` + 1 day: nobody is on call before that."""
    catalog = catalog_with_schedule(tmp_path, handoff, layer_start_days=1, level_two_team=False)
    settings = make_settings(tmp_path)
    async with httpx.AsyncClient() as http, build_worker(time_env.client, settings, catalog, http) as running:
        yield running
        await terminate_open(time_env.client, running.task_queue)


async def test_escalating_by_hand_to_a_schedule_with_nobody_on_call_pages_the_final_owner(
    time_env: WorkflowEnvironment, worker_before_rotation: Worker, handoff: datetime
) -> None:
    handle = await start(time_env.client, worker_before_rotation.task_queue)
    await time_env.sleep(minutes(1))
    result = await handle.execute_update(IncidentWorkflow.escalate, EscalateRequest(by="kofi", reason="no answer"))
    assert (result.status, result.escalation_level) == (Status.TRIGGERED, 2)
    view = await status(handle)
    starts = handoff + timedelta(days=1)
    paging = ("oncall.nobody", "oncall.final_owner", "escalation.level_paged", "escalation.exhausted")
    assert [(e.kind, offset(view.opened_at, e.at), e.message) for e in view.timeline if e.kind in paging] == [
        ("oncall.nobody", minutes(0), f"nobody on call in payments-primary until {as_utc(starts)}"),
        ("oncall.final_owner", minutes(0), "nobody on call for level 1: paging kofi"),
        ("escalation.level_paged", minutes(0), "paged; level 1: kofi"),
        ("oncall.nobody", minutes(1), f"nobody on call in payments-primary until {as_utc(starts)}"),
        ("oncall.final_owner", minutes(1), "nobody on call for level 2: paging kofi"),
        ("escalation.level_paged", minutes(1), "escalated by kofi; level 2: kofi"),
    ]
    assert view.escalation_targets == ["kofi"]
    assert view.next_escalation_at is not None
    assert offset(view.opened_at, view.next_escalation_at) == minutes(11)

    # Ended cleanly, not terminated with a page in flight (that would stop the time-skipping server's clock).
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="kofi", summary="partner fixed it", root_cause="expired TLS")
    )
    record = await handle.result()
    assert record.resolved_by == "kofi"
