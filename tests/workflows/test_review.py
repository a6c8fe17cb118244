"""The post-incident review, action items and the closure gate on the time-skipping server, at exact workflow times.

The shipped catalog: payments-critical (P1 for a payments outage) keeps a resolved incident open 1h to be reopened
and requires a review with summary, customer_impact, root_cause and lessons.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.messages.actions import (
    ActionAddRequest,
    ActionDeferRequest,
    ActionDoneRequest,
    CloseByHandRequest,
    CompleteReviewRequest,
    ResolveRequest,
    ReviewRequest,
)
from domain.models import ReviewSection, Status
from domain.views.record import IncidentRecord, render_markdown
from tests.support.catalogs import with_payments_policy
from tests.support.incidents import events, minutes, offset, start, status
from tests.support.settings import SHIPPED_CATALOG, make_settings
from tests.support.workers import worker_for
from workflows.incident import IncidentWorkflow

KINDS = (
    "incident.resolved",
    "review.opened",
    "review.edited",
    "review.completed",
    "action.added",
    "action.reminder",
    "action.done",
    "action.deferred",
    "incident.close_requested",
    "incident.closed",
)
SECTIONS = {
    ReviewSection.SUMMARY: "Card payments failed for 10 minutes.",
    ReviewSection.CUSTOMER_IMPACT: "All checkout attempts failed.",
    ReviewSection.LESSONS: "Canary the payment service.",
}


@pytest.fixture
async def worker(
    time_env: WorkflowEnvironment, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Worker]:
    """The shipped catalog; a test's parameter replaces payments-critical's review rule."""
    review = getattr(request, "param", None)
    edits = {"review": review} if review is not None else {}
    catalog = with_payments_policy("review-test", SHIPPED_CATALOG, **edits)
    async with worker_for(time_env, make_settings(tmp_path), catalog) as running:
        yield running


async def refusal(handle: WorkflowHandle[Any, Any], update: Any, request: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(update, request)
    assert isinstance(refused.value.cause, ApplicationError)
    return refused.value.cause.message


async def test_it_closes_when_the_review_is_complete_and_the_last_action_item_is_done(
    time_env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await time_env.sleep(minutes(10))
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="rolled back", root_cause="bad deploy")
    )
    view = await status(handle)
    assert view.review is not None
    assert view.review.sections == {ReviewSection.ROOT_CAUSE: "bad deploy"}  # the resolver's, as a first draft
    opened_at = view.opened_at
    await time_env.sleep(minutes(10))
    due = opened_at + timedelta(hours=3)
    await handle.execute_update(
        IncidentWorkflow.add_action, ActionAddRequest(by="amara", owner="bruno", due=due, text="add a canary stage")
    )
    assert await refusal(handle, IncidentWorkflow.complete_review, CompleteReviewRequest(by="amara")) == (
        "cannot complete the review: required sections still empty: summary, customer_impact, lessons"
    )
    assert await refusal(handle, IncidentWorkflow.close, CloseByHandRequest(by="amara")) == (
        "cannot close: still open: the review (sections still empty: summary, customer_impact, lessons); "
        f"action item 1 (bruno, due {due.strftime('%Y-%m-%d %H:%M:%S')} UTC)"
    )
    for section, text in SECTIONS.items():
        await handle.execute_update(IncidentWorkflow.edit_review, ReviewRequest(by="amara", section=section, text=text))
    await handle.execute_update(IncidentWorkflow.complete_review, CompleteReviewRequest(by="amara"))
    await time_env.sleep(minutes(65))  # the window ended at 70m: the open action item keeps it open
    view = await status(handle)
    assert (view.status, view.closing_needs) == (
        Status.RESOLVED,
        [f"action item 1 (bruno, due {view.actions[0].due.strftime('%Y-%m-%d %H:%M:%S')} UTC)"],
    )
    await time_env.sleep(minutes(120))  # the item falls due at 3h: bruno is reminded
    await handle.execute_update(IncidentWorkflow.action_done, ActionDoneRequest(by="bruno", number=1))
    record: IncidentRecord = await handle.result()
    assert events(record, *KINDS) == [
        ("incident.resolved", minutes(10), "amara"),
        ("review.opened", minutes(10), ""),
        ("action.added", minutes(20), "amara"),
        ("review.edited", minutes(20), "amara"),
        ("review.edited", minutes(20), "amara"),
        ("review.edited", minutes(20), "amara"),
        ("review.completed", minutes(20), "amara"),
        ("action.reminder", minutes(180), ""),
        ("action.done", minutes(205), "bruno"),
        ("incident.closed", minutes(205), ""),
    ]
    assert record.review is not None and record.review.completed_by == "amara"
    assert [(a.number, a.owner, a.state, a.closed_by, a.reminders) for a in record.actions] == [
        (1, "bruno", "done", "bruno", 1)
    ]
    assert [n.step for n in record.notifications if n.step.startswith("action-")] == [
        "action-1",
        "action-1-reminder-1",
    ]
    markdown = render_markdown(record).splitlines()
    assert "## Post-incident review" in markdown and "### Customer impact (required)" in markdown
    assert "All checkout attempts failed." in markdown
    assert any(line.startswith("| 1 | bruno | ") and "add a canary stage" in line for line in markdown)


async def test_a_monitoring_placeholder_is_no_draft_and_the_review_s_root_cause_replaces_it(
    time_env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await handle.execute_update(
        IncidentWorkflow.resolve,
        ResolveRequest(by="amara", summary="recovered", root_cause="not recorded: resolved by monitoring"),
    )
    assert (await status(handle)).review is not None
    assert (await status(handle)).review.sections == {}  # type: ignore[union-attr]
    sections = {**SECTIONS, ReviewSection.ROOT_CAUSE: "connection pool exhausted by a retry storm"}
    for section, text in sections.items():
        await handle.execute_update(IncidentWorkflow.edit_review, ReviewRequest(by="amara", section=section, text=text))
    await handle.execute_update(IncidentWorkflow.complete_review, CompleteReviewRequest(by="amara"))
    record: IncidentRecord = await handle.result()
    assert record.root_cause == "connection pool exhausted by a retry storm"
    assert record.closed_at is not None and record.resolved_at is not None
    assert offset(record.resolved_at, record.closed_at) == minutes(60)  # the reopen window, then the complete review


@pytest.mark.parametrize("worker", [{"early_close": True}], indirect=True)
async def test_where_the_policy_allows_it_a_responder_closes_early(
    time_env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(time_env.client, worker.task_queue)
    await handle.execute_update(
        IncidentWorkflow.resolve, ResolveRequest(by="amara", summary="rolled back", root_cause="bad deploy")
    )
    await time_env.sleep(minutes(5))
    await handle.execute_update(IncidentWorkflow.close, CloseByHandRequest(by="bruno"))
    record: IncidentRecord = await handle.result()
    assert events(record, "incident.close_requested", "incident.closed") == [
        ("incident.close_requested", minutes(5), "bruno"),
        ("incident.closed", minutes(5), ""),
    ]
    closing = [e.message for e in record.timeline if e.kind == "incident.close_requested"]
    assert closing == ["closed by bruno, before the review (sections still empty: summary, customer_impact, lessons)"]


async def test_a_deferred_item_counts_as_handled_and_bad_items_are_refused(
    time_env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(time_env.client, worker.task_queue)
    view = await status(handle)
    past = view.opened_at - timedelta(minutes=1)
    assert (
        await refusal(
            handle, IncidentWorkflow.add_action, ActionAddRequest(by="amara", owner="bruno", due=past, text="x")
        )
        == f"cannot add the action item: its due date {past.strftime('%Y-%m-%d %H:%M:%S')} UTC is not in the future"
    )
    later = view.opened_at + timedelta(days=2)
    assert (
        await refusal(
            handle, IncidentWorkflow.add_action, ActionAddRequest(by="amara", owner="zed", due=later, text="x")
        )
        == "cannot add the action item: its owner 'zed' is not a user in the catalog"
    )
    assert await refusal(handle, IncidentWorkflow.action_done, ActionDoneRequest(by="amara", number=1)) == (
        "there is no action item 1: the incident has 0"
    )
    assert (
        await refusal(
            handle, IncidentWorkflow.edit_review, ReviewRequest(by="amara", section=ReviewSection.SUMMARY, text="x")
        )
        == "there is no review: the incident is not resolved yet, or its policy requires none"
    )
    await handle.execute_update(
        IncidentWorkflow.add_action, ActionAddRequest(by="amara", owner="bruno", due=later, text="rotate keys")
    )
    await handle.execute_update(
        IncidentWorkflow.action_defer, ActionDeferRequest(by="bruno", number=1, reason="next quarter")
    )
    assert await refusal(handle, IncidentWorkflow.action_done, ActionDoneRequest(by="bruno", number=1)) == (
        "action item 1 is already deferred"
    )
    assert (await status(handle)).actions[0].reason == "next quarter"
