"""Policy versions, explicitly, on a real dev server: a worker restarted on an edited catalog leaves the open incident
on the policy and SLA it was classified with; ``repolicy`` moves it to the current catalog's, recorded with both
versions."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from adapters.catalog_file import LoadedCatalog
from domain.messages.actions import RepolicyRequest
from domain.policy.catalog import Catalog
from domain.policy.sla import Clock
from domain.views.record import IncidentStatusView
from tests.support.incidents import start, status, terminate_open
from tests.support.settings import EXAMPLE_CATALOG, make_settings
from worker import build_worker
from workflows.incident import IncidentWorkflow


def edited(tmp_path: Path, version: str, delay: str, acknowledge: str) -> LoadedCatalog:
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    policy = data["escalation_policies"]["payments-critical"]
    policy["repeat"] = 0
    for level in policy["levels"]:
        level["delay"] = delay
    data["sla"]["P1"] = {"acknowledge": acknowledge, "resolve": "2h"}
    return LoadedCatalog(Catalog.model_validate(data), version, tmp_path / f"{version}.yaml")


async def level_paged(handle: WorkflowHandle[Any, Any], level: int, seconds: float) -> IncidentStatusView:
    """The status once ``level`` has been paged, polled (the escalation runs on the real clock)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        view = await status(handle)
        if any(e.kind == "escalation.level_paged" and e.data["level"] == level for e in view.timeline):
            return view
        assert asyncio.get_running_loop().time() < deadline, f"level {level} was not paged within {seconds}s"
        await asyncio.sleep(0.1)


async def test_an_open_incident_keeps_its_policy_until_moved_to_the_current_one(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Catalog A: levels 8s apart, 10m to acknowledge a P1. Catalog B: 1s apart, 30m. Moved once level 2 is paged
    (at A's 8s), well before A's level 3 (16s)."""
    settings = make_settings(tmp_path)
    async with httpx.AsyncClient() as http:
        async with build_worker(dev_env.client, settings, edited(tmp_path, "catalog-a", "8s", "10m"), http):
            handle = await start(dev_env.client, settings.task_queue)
            await handle.execute_update(IncidentWorkflow.wait_for_classification)
        async with build_worker(dev_env.client, settings, edited(tmp_path, "catalog-b", "1s", "30m"), http):
            try:
                before = await level_paged(handle, 2, seconds=20)
                await handle.execute_update(IncidentWorkflow.repolicy, RepolicyRequest(by="amara"))
                with pytest.raises(WorkflowUpdateFailedError) as again:
                    await handle.execute_update(IncidentWorkflow.repolicy, RepolicyRequest(by="amara"))
                after = await level_paged(handle, 3, seconds=10)
            finally:
                await terminate_open(dev_env.client, settings.task_queue)
    assert isinstance(again.value.cause, ApplicationError)
    assert again.value.cause.message == (
        "cannot move it: it is already on policy 'payments-critical' of the current catalog (catalog-b)"
    )
    assert [(c.clock, c.deadline - before.opened_at) for c in before.sla if c.clock is Clock.ACKNOWLEDGE] == [
        (Clock.ACKNOWLEDGE, timedelta(minutes=10))
    ]
    assert [(c.clock, c.deadline - after.opened_at) for c in after.sla if c.clock is Clock.ACKNOWLEDGE] == [
        (Clock.ACKNOWLEDGE, timedelta(minutes=30))
    ]
    paged = [
        (entry.data["level"], datetime.fromisoformat(str(entry.data["due"])) - after.opened_at)
        for entry in after.timeline
        if entry.kind == "escalation.level_paged"
    ]
    assert paged[:2] == [(1, timedelta(0)), (2, timedelta(seconds=8))]  # catalog A's delay, though B's worker ran it
    assert paged[2] == (3, timedelta(seconds=9))  # B's: 1s after level 2 fell due
    changed = [(e.actor, e.message) for e in after.timeline if e.kind == "policy.changed"]
    assert changed == [
        (
            "amara",
            "moved by amara from policy 'payments-critical' of catalog catalog-a to policy 'payments-critical' of "
            "catalog catalog-b",
        )
    ]
