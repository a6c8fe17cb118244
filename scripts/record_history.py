"""Record the histories of complete incidents for the replay tests.

    .venv/bin/python scripts/record_history.py tests/histories/incident-v3.json

writes three histories: the given file (monitoring opens a partner-API incident, a person takes it over, notes,
re-prioritises and resolves it, reopens it within the reopen window and resolves it again, writes and completes its
review and closes it once an action item is done), ``<name>-paging.json`` beside it (a dashboard incident whose
level 2 pages whoever is on call, acknowledged, snoozed, paged again when the snooze runs out, then resolved and
reviewed) and
``<name>-failover.json`` (on a real dev server: no worker runs while level 2 of a payments incident falls due and a
responder acknowledges; the next worker gets both in one task and pages level 2 first).

Run it when a released workflow version changes on purpose, and commit the file next to the older ones:
every committed history must keep replaying against the current code (tests/workflows/test_replay.py).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.catalog_file import load_catalog  # noqa: E402
from adapters.keyed_triggers import trigger_incident  # noqa: E402
from adapters.settings import Settings  # noqa: E402
from adapters.temporal import find_executable, register_search_attributes, search_attribute_types  # noqa: E402
from domain.messages.actions import (  # noqa: E402
    AcknowledgeRequest,
    ActionAddRequest,
    ActionDoneRequest,
    AlertState,
    CompleteReviewRequest,
    NoteRequest,
    ReopenRequest,
    ResolveRequest,
    ReviewRequest,
    SetPriorityRequest,
    SnoozeRequest,
    TriggerRequest,
)
from domain.messages.steps import IncidentInput  # noqa: E402
from domain.models import Category, Impact, IncidentReport, Priority, ReviewSection, Source, Urgency  # noqa: E402
from worker import build_worker  # noqa: E402
from workflows.incident import IncidentWorkflow  # noqa: E402

REPORT = IncidentReport(
    title="Partner API is down",
    description="Partner fintechs get 503 on every account-opening call.",
    service="bank-partner-api",
    category=Category.API_DISRUPTION,
    source=Source.MONITORING,
    impact=Impact.SOME_USERS,
    urgency=Urgency.HIGH,
    reporter="partner-api-probe",
    labels={"region": "eu-west-1"},
)


PAYMENTS = IncidentReport(
    title="Payments failing for all users",
    description="Checkout returns 502 for every card payment.",
    service="shop-payments",
    category=Category.APPLICATION_ERROR,
    source=Source.MONITORING,
    impact=Impact.ALL_USERS,
    urgency=Urgency.HIGH,
    reporter="checkout-monitor",
)
DASHBOARD = IncidentReport(
    title="Dashboard shows data from yesterday",
    description="The analytics dashboard has not refreshed since 02:00.",
    service="saas-dashboard",
    category=Category.BROKEN_FEATURE,
    source=Source.TICKET,
    impact=Impact.MANY_USERS,
    urgency=Urgency.MEDIUM,
    reporter="support-desk",
)


def alerts(*states: tuple[str, bool]) -> TriggerRequest:
    return TriggerRequest(
        source="alertmanager",
        dedup_key='alertmanager:prometheus:{}:{alertname="PartnerApiDown"}',
        summary="Partner API is down",
        alerts=[AlertState(fingerprint=fingerprint, firing=firing) for fingerprint, firing in states],
        auto_resolve=True,
    )


REVIEW = {
    ReviewSection.SUMMARY: "Partners could not open accounts for 35 minutes.",
    ReviewSection.CUSTOMER_IMPACT: "Every partner's account-opening call failed with 503.",
    ReviewSection.LESSONS: "Monitor certificate chains, not only expiry dates.",
}


async def review_and_follow_up(env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any]) -> None:
    for section, text in REVIEW.items():
        await handle.execute_update(
            IncidentWorkflow.edit_review, ReviewRequest(by="gustav", section=section, text=text)
        )
    await handle.execute_update(IncidentWorkflow.complete_review, CompleteReviewRequest(by="gustav"))
    opened = (await handle.query(IncidentWorkflow.get_status)).opened_at
    due = opened + timedelta(hours=3)
    await handle.execute_update(
        IncidentWorkflow.add_action,
        ActionAddRequest(by="gustav", owner="fatima", due=due, text="alert on incomplete certificate chains"),
    )
    await env.sleep(timedelta(hours=3))  # past the window (1h after the resolution) and the item's due date
    await handle.execute_update(IncidentWorkflow.action_done, ActionDoneRequest(by="fatima", number=1))


async def record(target: Path) -> None:
    path = find_executable("temporal-test-server")
    assert path, "temporal-test-server not found"
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=path, data_converter=pydantic_data_converter
    )
    try:
        await register_search_attributes(env.client)
        with tempfile.TemporaryDirectory() as records:
            settings = Settings(catalog_path=ROOT / "config" / "catalog.yaml", records_dir=Path(records))
            catalog = load_catalog(settings.catalog_path)
            async with httpx.AsyncClient() as http, build_worker(env.client, settings, catalog, http):
                # Opened by monitoring: two alerts of one group, then one of them resolves.
                opened = await trigger_incident(
                    env.client, REPORT, alerts(("a1", True), ("a2", True)), task_queue=settings.task_queue, summary="s"
                )
                handle = env.client.get_workflow_handle_for(IncidentWorkflow.run, opened.incident_id)
                await env.sleep(timedelta(minutes=3))
                await trigger_incident(
                    env.client, REPORT, alerts(("a1", False), ("a2", True)), task_queue=settings.task_queue, summary="s"
                )
                await env.sleep(timedelta(minutes=4))
                await handle.signal("acknowledge", AcknowledgeRequest(by="gustav"))
                await env.sleep(timedelta(minutes=1))
                await handle.execute_update(
                    IncidentWorkflow.add_note, NoteRequest(by="gustav", text="TLS cert expired")
                )
                await handle.execute_update(
                    IncidentWorkflow.set_priority,
                    SetPriorityRequest(by="gustav", priority=Priority.P2, reason="one partner affected"),
                )
                await env.sleep(timedelta(minutes=12))
                await handle.execute_update(
                    IncidentWorkflow.resolve,
                    ResolveRequest(by="gustav", summary="certificate renewed", root_cause="expired TLS certificate"),
                )
                # Reopened within the window: the intermediate certificate was missing; resolved again, then the
                # window runs out and it closes.
                await env.sleep(timedelta(minutes=10))
                await handle.execute_update(
                    IncidentWorkflow.reopen, ReopenRequest(by="gustav", reason="partners still get TLS errors")
                )
                await env.sleep(timedelta(minutes=3))
                await handle.execute_update(
                    IncidentWorkflow.resolve,
                    ResolveRequest(by="gustav", summary="chain completed", root_cause="missing intermediate cert"),
                )
                # The post-incident review and an action item: the owner is reminded when it falls due, and the
                # incident closes once the item is done (the window has run out by then).
                await review_and_follow_up(env, handle)
                await handle.result()
                history = await handle.fetch_history()

                # Paging: level 2 of dashboards-standard pages whoever is on call; a snooze runs out.
                paged = await env.client.start_workflow(
                    IncidentWorkflow.run,
                    IncidentInput(incident_id="INC-HISTORY-PAGING", report=DASHBOARD),
                    id="INC-HISTORY-PAGING",
                    task_queue=settings.task_queue,
                )
                await env.sleep(timedelta(minutes=16))  # level 2 at 15 min: the on-call question is asked
                await paged.execute_update(IncidentWorkflow.acknowledge, AcknowledgeRequest(by="kofi"))
                await paged.execute_update(
                    IncidentWorkflow.snooze,
                    SnoozeRequest(by="kofi", duration=timedelta(minutes=20), reason="waiting for the nightly job"),
                )
                await env.sleep(timedelta(minutes=25))  # the snooze runs out: triggered again, level 2 re-paged
                await paged.execute_update(
                    IncidentWorkflow.resolve,
                    ResolveRequest(by="kofi", summary="job restarted", root_cause="stuck nightly import"),
                )
                if (await paged.query(IncidentWorkflow.get_status)).review is not None:
                    for section, text in REVIEW.items():
                        await paged.execute_update(
                            IncidentWorkflow.edit_review, ReviewRequest(by="kofi", section=section, text=text)
                        )
                    await paged.execute_update(IncidentWorkflow.complete_review, CompleteReviewRequest(by="kofi"))
                await paged.result()
                paging = await paged.fetch_history()
        target.write_text(history.to_json() + "\n", encoding="utf-8")
        print(f"wrote {target} ({len(history.events)} events)")
        paging_target = target.with_name(f"{target.stem}-paging.json")
        paging_target.write_text(paging.to_json() + "\n", encoding="utf-8")
        print(f"wrote {paging_target} ({len(paging.events)} events)")
    finally:
        await env.shutdown()
    await record_failover(target.with_name(f"{target.stem}-failover.json"))


async def record_failover(target: Path) -> None:
    path = find_executable("temporal")
    assert path, "temporal CLI not found"
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=path,
        data_converter=pydantic_data_converter,
        dev_server_extra_args=[
            arg for name, kind in search_attribute_types().items() for arg in ("--search-attribute", f"{name}={kind}")
        ],
    )
    try:
        with tempfile.TemporaryDirectory() as scratch:
            data = yaml.safe_load((ROOT / "config" / "catalog.yaml").read_text(encoding="utf-8"))
            policy = data["escalation_policies"]["payments-critical"]
            policy["repeat"] = 0
            policy["reopen_window"] = "0s"  # real time: closed as soon as resolved
            policy["review"] = None
            policy["update_every"] = {}
            for level in policy["levels"]:
                level["delay"] = "4s"
            catalog_path = Path(scratch) / "catalog.yaml"
            catalog_path.write_text(yaml.safe_dump(data), encoding="utf-8")
            settings = Settings(catalog_path=catalog_path, records_dir=Path(scratch) / "records")
            catalog = load_catalog(settings.catalog_path)
            async with httpx.AsyncClient() as http:
                async with build_worker(env.client, settings, catalog, http):
                    handle = await env.client.start_workflow(
                        IncidentWorkflow.run,
                        IncidentInput(incident_id="INC-HISTORY-FAILOVER", report=PAYMENTS),
                        id="INC-HISTORY-FAILOVER",
                        task_queue=settings.task_queue,
                    )
                    await handle.execute_update(IncidentWorkflow.wait_for_classification)
                await asyncio.sleep(5)  # level 2 falls due at 4 s while no worker runs
                await handle.signal("acknowledge", AcknowledgeRequest(by="bruno"))
                async with build_worker(env.client, settings, catalog, http):
                    await asyncio.sleep(1)
                    await handle.execute_update(
                        IncidentWorkflow.resolve,
                        ResolveRequest(by="bruno", summary="failed over", root_cause="lost database primary"),
                    )
                    await handle.result()
            history = await handle.fetch_history()
        target.write_text(history.to_json() + "\n", encoding="utf-8")
        print(f"wrote {target} ({len(history.events)} events)")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(Path(sys.argv[1])))
