"""The post-incident review, action items and the closure gate by hand, at explicit times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidAction
from domain.incident import (
    IncidentState,
    add_action,
    advance,
    budget,
    close_by_hand,
    closure_missing,
    complete_review,
    edit_review,
    finish_action,
    gate_open,
    resolve,
)
from domain.models import ReviewSection
from domain.policy.catalog import ReviewRule

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OpenIncident = Callable[..., IncidentState]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def reviewed(open_incident: OpenIncident, **rule: object) -> IncidentState:
    """A P1 payments incident whose policy requires the default review, resolved at 10m."""
    state = open_incident(T0)
    assert state.route is not None
    policy = state.route.policy.model_copy(update={"review": ReviewRule.model_validate(rule)})
    state.route = state.route.model_copy(update={"policy": policy})
    resolve(state, "amara", "rolled back", "bad deploy", at(10))
    state.take_outbox()
    return state


def test_resolving_opens_the_review_with_the_resolver_s_root_cause_as_its_draft(open_incident: OpenIncident) -> None:
    state = reviewed(open_incident)
    assert state.review is not None
    assert (state.review.opened_at, state.review.sections) == (at(10), {ReviewSection.ROOT_CAUSE: "bad deploy"})
    assert closure_missing(state) == ["the review (sections still empty: summary, customer_impact, lessons)"]
    assert gate_open(state) is False


def test_a_priority_the_rule_does_not_name_gets_no_review(open_incident: OpenIncident) -> None:
    state = reviewed(open_incident, priorities=["P3"])
    assert (state.review, closure_missing(state), gate_open(state)) == (None, [], True)


def test_the_owner_is_reminded_when_the_item_falls_due_then_daily_within_the_bound(
    open_incident: OpenIncident,
) -> None:
    state = reviewed(open_incident)
    add_action(state, "amara", "bruno", at(60), "add a canary stage", at(20))
    assert [(p.step, p.recipients) for p in state.take_outbox()] == [("action-1", ["bruno"])]
    assert state.next_wake() == at(60)
    advance(state, at(60) + timedelta(days=30))
    reminders = [e for e in state.timeline if e.kind == "action.reminder"]
    assert len(reminders) == budget.MAX_ACTION_REMINDERS == 14
    assert [e.data["due"] for e in reminders[:2]] == [at(60).isoformat(), (at(60) + timedelta(days=1)).isoformat()]
    assert reminders[0].message == "action item 1 falls due now: reminded bruno"
    assert reminders[1].message == "action item 1 is overdue since 2026-01-05 10:00:00 UTC: reminded bruno"
    assert state.next_wake() is None


def test_the_gate_opens_once_the_review_is_complete_and_every_item_is_done_or_deferred(
    open_incident: OpenIncident,
) -> None:
    state = reviewed(open_incident)
    add_action(state, "amara", "bruno", at(600), "canary", at(20))
    add_action(state, "amara", "chen", at(600), "runbook", at(21))
    for section in (ReviewSection.SUMMARY, ReviewSection.CUSTOMER_IMPACT, ReviewSection.LESSONS):
        edit_review(state, "amara", section, f"the {section.value}", at(30))
    complete_review(state, "amara", at(31))
    assert closure_missing(state) == [
        "action item 1 (bruno, due 2026-01-05 19:00:00 UTC)",
        "action item 2 (chen, due 2026-01-05 19:00:00 UTC)",
    ]
    finish_action(state, "bruno", 1, None, at(40))
    finish_action(state, "chen", 2, "needs the new platform", at(41))
    assert ([(a.state, a.reason) for a in state.actions], gate_open(state)) == (
        [("done", None), ("deferred", "needs the new platform")],
        True,
    )
    with pytest.raises(InvalidAction) as refused:
        edit_review(state, "amara", ReviewSection.LESSONS, "more", at(50))
    assert str(refused.value) == "the review was completed by amara at 2026-01-05 09:31:00 UTC"


def test_closing_by_hand_is_refused_unless_nothing_is_missing_or_the_policy_allows_it(
    open_incident: OpenIncident,
) -> None:
    state = reviewed(open_incident)
    before = state.model_copy(deep=True)
    with pytest.raises(InvalidAction) as refused:
        close_by_hand(state, "amara", at(20))
    assert str(refused.value) == (
        "cannot close: still open: the review (sections still empty: summary, customer_impact, lessons)"
    )
    assert state == before
    allowed = reviewed(open_incident, early_close=True)
    close_by_hand(allowed, "amara", at(20))
    assert (allowed.closing_by, gate_open(allowed), allowed.timeline[-1].message) == (
        "amara",
        True,
        "closed by amara, before the review (sections still empty: summary, customer_impact, lessons)",
    )
