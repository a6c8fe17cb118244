"""An incident whose level targets a schedule: it waits for who is on call, records it, pages them.

saas-dashboard's policy (dashboards-standard) pages the dashboards team, then after 15 minutes whoever is on call in
the incident-command schedule (kofi 07:00-19:00 UTC, lena 19:00-07:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.catalog_file import LoadedCatalog
from domain.incident import IncidentState, acknowledge, advance, escalate, record_on_call, snooze
from domain.models import Status
from domain.policy.schedules import OnCall, on_call
from domain.views.record import build_record, render_markdown, status_view
from tests.support.reports import OpenIncident

T0 = datetime(2026, 11, 30, 18, 50, tzinfo=UTC)  # kofi's shift ends at 19:00: level 2 (at 19:05) finds lena


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def answer(catalog: LoadedCatalog, moment: datetime) -> dict[str, OnCall]:
    schedule = catalog.catalog.schedules["incident-command"]
    return {"incident-command": on_call("incident-command", schedule, moment)}


@pytest.fixture
def waiting(open_incident: OpenIncident) -> IncidentState:
    """Opened at T0; at 15 minutes level 2 is due and waits for the on-call answer."""
    state = open_incident(T0, service="saas-dashboard")
    state.take_outbox()
    advance(state, at(15))
    return state


def test_level_two_waits_for_the_answer_then_pages_who_is_on_call_then(
    waiting: IncidentState, catalog: LoadedCatalog
) -> None:
    assert waiting.on_call_needed() == ["incident-command"]
    assert (waiting.escalation_index, [p.step for p in waiting.outbox]) == (0, ["sla-acknowledge-100"])
    advance(waiting, at(15))  # asking again changes nothing until the answer is in
    assert waiting.escalation_index == 0
    assert waiting.awaiting_on_call is not None
    assert (waiting.awaiting_on_call.index, waiting.awaiting_on_call.due) == (1, at(15))

    record_on_call(waiting, answer(catalog, at(15)), [], at(15))

    assert waiting.on_call_needed() is None
    assert [(e.kind, e.message) for e in waiting.timeline[-2:]] == [
        ("oncall.resolved", "on call in incident-command: lena (layer follow-the-sun) until 2026-12-01 07:00:00 UTC"),
        ("escalation.level_paged", "escalated: no acknowledgement; level 2: lena"),
    ]
    assert waiting.timeline[-2].data == {
        "schedule": "incident-command",
        "user": "lena",
        "decided_by": "layer follow-the-sun",
    }
    assert [(p.step, p.recipients) for p in waiting.outbox] == [
        ("sla-acknowledge-100", ["dana", "emil"]),
        ("page-1", ["lena"]),
    ]
    assert (waiting.current_recipients, waiting.level_paged_at, waiting.next_escalation_at()) == (
        ["lena"],
        at(15),
        at(45),
    )
    escalation = waiting.escalations[-1]
    assert (escalation.level, escalation.recipients, [(a.schedule, a.user) for a in escalation.on_call]) == (
        2,
        ["lena"],
        [("incident-command", "lena")],
    )
    view = status_view(waiting, at(16))
    assert (view.escalation_targets, [a.user for a in view.on_call]) == (["lena"], ["lena"])
    markdown = render_markdown(build_record(waiting, at(16)))
    assert "| 2 | 1 | lena (on call: incident-command → lena, layer follow-the-sun) | timer |" in markdown


def test_the_answer_is_asked_for_at_the_moment_the_level_fires(open_incident: OpenIncident) -> None:
    state = open_incident(datetime(2026, 11, 30, 6, 50, tzinfo=UTC), service="saas-dashboard")
    advance(state, datetime(2026, 11, 30, 7, 5, tzinfo=UTC))
    assert state.awaiting_on_call is not None
    assert state.awaiting_on_call.asked_at == datetime(2026, 11, 30, 7, 5, tzinfo=UTC)


def test_nobody_on_call_pages_the_final_owner(waiting: IncidentState) -> None:
    nobody = OnCall(schedule="incident-command", at=at(15), user=None, until=at(60))
    record_on_call(waiting, {"incident-command": nobody}, [], at(15))
    assert [(e.kind, e.message) for e in waiting.timeline[-3:]] == [
        ("oncall.nobody", "nobody on call in incident-command until 2026-11-30 19:50:00 UTC"),
        ("oncall.final_owner", "nobody on call for level 2: paging lena"),
        ("escalation.level_paged", "escalated: no acknowledgement; level 2: lena"),
    ]
    assert waiting.escalations[-1].recipients == ["lena"]  # dashboards-standard's final owner


def test_a_schedule_missing_from_the_workers_catalog_counts_as_nobody(waiting: IncidentState) -> None:
    record_on_call(waiting, {}, ["incident-command"], at(15))
    assert [e.message for e in waiting.timeline[-3:-1]] == [
        "nobody on call in incident-command: not in the catalog",
        "nobody on call for level 2: paging lena",
    ]
    assert [(a.schedule, a.user) for a in waiting.escalations[-1].on_call] == [("incident-command", None)]


def test_an_answer_that_does_not_cover_the_question_is_not_used(waiting: IncidentState) -> None:
    record_on_call(waiting, {}, [], at(15))
    assert waiting.on_call_needed() == ["incident-command"]
    assert waiting.escalation_index == 0


def test_acknowledged_while_asking_pages_nobody_and_the_clocks_go_on(
    waiting: IncidentState, catalog: LoadedCatalog
) -> None:
    acknowledge(waiting, "dana", at(15))
    assert waiting.on_call_needed() is None
    record_on_call(waiting, answer(catalog, at(15)), [], at(15))
    assert (waiting.escalation_index, len(waiting.escalations), waiting.awaiting_on_call) == (0, 1, None)
    advance(waiting, at(30))
    assert waiting.timeline[-1].kind == "sla.warning"  # resolve 50% at 30 minutes


def test_escalating_by_hand_asks_for_the_level_it_pages(open_incident: OpenIncident, catalog: LoadedCatalog) -> None:
    state = open_incident(T0, service="saas-dashboard")
    escalate(state, "dana", "needs incident command", at(2))
    assert state.status is Status.TRIGGERED
    assert state.awaiting_on_call is not None
    assert (state.awaiting_on_call.index, state.awaiting_on_call.by, state.on_call_needed()) == (
        1,
        "dana",
        ["incident-command"],
    )
    record_on_call(state, answer(catalog, at(2)), [], at(2))
    assert state.timeline[-1].message == "escalated by dana; level 2: kofi"
    assert (state.escalations[-1].by, state.next_escalation_at()) == ("dana", at(32))


def test_a_level_paged_again_after_a_snooze_asks_again_at_that_moment(
    open_incident: OpenIncident, catalog: LoadedCatalog
) -> None:
    opened = datetime(2026, 11, 30, 22, 50, tzinfo=UTC)
    state = open_incident(opened, service="saas-dashboard")
    advance(state, opened + timedelta(minutes=15))
    record_on_call(state, answer(catalog, opened + timedelta(minutes=15)), [], opened + timedelta(minutes=15))
    snooze(state, "lena", timedelta(hours=8), "on it in the morning", opened + timedelta(minutes=16))
    woken = datetime(2026, 12, 1, 7, 6, tzinfo=UTC)  # the snooze ends after the 07:00 handoff: kofi's shift
    advance(state, woken)
    assert (state.status, state.on_call_needed()) == (Status.TRIGGERED, ["incident-command"])
    assert state.awaiting_on_call is not None
    assert (state.awaiting_on_call.index, state.awaiting_on_call.due) == (1, woken)
    record_on_call(state, answer(catalog, woken), [], woken)
    assert [(e.level, e.recipients, e.at) for e in state.escalations] == [
        (1, ["dana", "emil"], opened),
        (2, ["lena"], opened + timedelta(minutes=15)),
        (2, ["kofi"], woken),
    ]
