"""The reopen window and reopening, by hand at explicit times: what reopening changes, how the clocks and MTTR count
a reopened incident, and every refusal (which changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DomainError, IllegalTransition, InvalidAction, LimitReached, UnknownResponder
from domain.incident import (
    IncidentState,
    Reopen,
    acknowledge,
    advance,
    budget,
    open_reopen_window,
    reopen,
    reopen_by_trigger,
    resolve,
)
from domain.messages.actions import AlertState, TriggerRequest
from domain.models import Status
from domain.policy.sla import Clock
from domain.views.record import build_record

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OpenIncident = Callable[..., IncidentState]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def resolved(open_incident: OpenIncident, window: timedelta = timedelta(hours=1)) -> IncidentState:
    """A P1 payments incident (ack 5m, resolve 1h) acknowledged at 2m, resolved at 10m, its window opened."""
    state = open_incident(T0)
    assert state.route is not None
    state.route = state.route.model_copy(
        update={"policy": state.route.policy.model_copy(update={"reopen_window": window})}
    )
    acknowledge(state, "amara", at(2))
    resolve(state, "amara", "restarted", "memory leak", at(10))
    open_reopen_window(state, at(10))
    state.take_outbox()
    return state


def test_the_window_opens_at_the_resolution(open_incident: OpenIncident) -> None:
    state = resolved(open_incident)
    assert (state.status, state.reopen_until) == (Status.RESOLVED, at(70))
    assert state.timeline[-1].message == "resolved; closes at 2026-01-05 10:10:00 UTC unless reopened before"


def test_reopening_undoes_the_resolution_and_pages_the_current_level_again(open_incident: OpenIncident) -> None:
    state = resolved(open_incident)
    reopen(state, "bruno", "errors are back", at(25))
    assert (state.status, state.assignee, state.resolved_at, state.resolved_by, state.root_cause) == (
        Status.TRIGGERED,
        None,
        None,
        None,
        None,
    )
    assert state.reopens == [
        Reopen(at=at(25), by="bruno", reason="errors are back", resolved_at=at(10), resolved_by="amara")
    ]
    assert [(e.kind, e.message) for e in state.timeline[-2:]] == [
        ("incident.reopened", "reopened by bruno: errors are back"),
        ("escalation.level_paged", "reopened by bruno; level 1: amara"),
    ]
    assert [(page.step, page.recipients) for page in state.take_outbox()] == [("page-0-2", ["amara"])]
    assert (state.level_paged_at, state.next_escalation_at(), state.acknowledged_at) == (at(25), at(30), at(2))


def test_the_resolve_clock_pauses_while_resolved_and_mttr_counts_to_the_last_resolution(
    open_incident: OpenIncident,
) -> None:
    state = resolved(open_incident)
    reopen(state, "bruno", "errors are back", at(25))
    assert (state.sla_deadline(Clock.ACKNOWLEDGE), state.sla_deadline(Clock.RESOLVE)) == (at(5), at(75))
    assert [(p.key, p.at) for p in state.pending_sla()] == [
        ("resolve:50", at(45)),
        ("resolve:75", at(60)),
        ("resolve:100", at(75)),
    ]
    assert state.clock_stopped_at(Clock.ACKNOWLEDGE) == at(2)
    advance(state, at(45))
    acknowledge(state, "bruno", at(46))
    resolve(state, "bruno", "pool resized", "connection pool", at(80))
    record = build_record(state, at(80))
    assert [(view.clock, view.deadline, view.state) for view in record.sla] == [
        (Clock.ACKNOWLEDGE, at(5), "met"),
        (Clock.RESOLVE, at(75), "breached"),
    ]
    assert (record.mtta_seconds, record.mttr_seconds, record.resolved_by) == (120.0, 4800.0, "bruno")


def test_the_acknowledge_clock_of_an_unacknowledged_incident_stays_stopped_at_the_first_resolution(
    open_incident: OpenIncident,
) -> None:
    state = open_incident(T0)
    assert state.route is not None
    state.route = state.route.model_copy(
        update={"policy": state.route.policy.model_copy(update={"reopen_window": timedelta(hours=1)})}
    )
    resolve(state, "amara", "restarted", "leak", at(3))
    open_reopen_window(state, at(3))
    reopen(state, "amara", "again", at(20))
    assert (state.clock_stopped_at(Clock.ACKNOWLEDGE), state.running_clocks()) == (at(3), {Clock.RESOLVE})


def test_a_firing_alert_reopens_it_as_monitoring_and_a_resolving_one_does_not(open_incident: OpenIncident) -> None:
    state = resolved(open_incident)

    def alert(firing: bool) -> TriggerRequest:
        return TriggerRequest(
            source="alertmanager",
            integration="prometheus",
            dedup_key="k",
            summary="Checkout errors",
            alerts=[AlertState(fingerprint="a1", firing=firing)],
        )

    assert (reopen_by_trigger(state, alert(False), at(20)), state.status) == (False, Status.RESOLVED)
    assert (reopen_by_trigger(state, alert(True), at(21)), state.status) == (True, Status.TRIGGERED)
    assert state.timeline[-2].message == "reopened by monitoring:prometheus: alertmanager fired again: Checkout errors"


@pytest.mark.parametrize(
    ("by", "minutes", "error", "message"),
    [
        ("bruno", 70, InvalidAction, "cannot reopen: its reopen window ended at 2026-01-05 10:10:00 UTC"),
        ("mallory", 20, UnknownResponder, "unknown responder 'mallory': not a user in the catalog"),
    ],
)
def test_a_refused_reopen_changes_nothing(
    open_incident: OpenIncident, by: str, minutes: float, error: type[DomainError], message: str
) -> None:
    state = resolved(open_incident)
    before = state.model_copy(deep=True)
    with pytest.raises(error) as refused:
        reopen(state, by, "again", at(minutes))
    assert (str(refused.value), state) == (message, before)


def test_without_a_window_and_before_any_resolution_reopening_is_refused(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    with pytest.raises(IllegalTransition) as early:
        reopen(state, "amara", "again", at(1))
    assert str(early.value) == "cannot reopen: the incident is triggered, not resolved"
    resolve(state, "amara", "restarted", "leak", at(3))  # the workflow opens no window for a policy without one
    with pytest.raises(InvalidAction) as refused:
        reopen(state, "amara", "again", at(4))
    assert str(refused.value) == "cannot reopen: the incident is closing (its policy has no reopen window)"


def test_reopenings_are_bounded(open_incident: OpenIncident) -> None:
    state = resolved(open_incident, window=timedelta(days=1))
    for number in range(budget.MAX_REOPENS):
        reopen(state, "amara", f"again {number}", at(20 + 10 * number))
        resolve(state, "amara", "restarted", "leak", at(25 + 10 * number))
        open_reopen_window(state, at(25 + 10 * number))
    before = state.model_copy(deep=True)
    with pytest.raises(LimitReached) as refused:
        reopen(state, "amara", "once more", at(200))
    assert (
        str(refused.value)
        == "cannot reopen: the incident was reopened 10 times, the most it takes; report a new incident"
    )
    assert state == before
