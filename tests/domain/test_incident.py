"""IncidentState and the passage of time: escalations and SLA checkpoints fire in order, at exact times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from adapters.catalog_file import LoadedCatalog
from domain.incident import (
    IncidentState,
    Page,
    acknowledge,
    advance,
    classify,
    close_incident,
    page_first_level,
    record_opening,
    resolve,
    set_priority,
)
from domain.models import Priority, Status
from domain.policy.catalog import route
from domain.policy.priority import decide_priority
from domain.policy.sla import Clock

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OpenIncident = Callable[..., IncidentState]  # the conftest fixture: opened, classified, level 1 paged


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def run_until(state: IncidentState, end: datetime) -> None:
    """Advance at every moment the incident asks to be woken, as the workflow's timer does."""
    while (wake := state.next_wake()) is not None and wake <= end:
        advance(state, wake)


def events(state: IncidentState, start: int = 4) -> list[tuple[str, datetime]]:
    """(kind, at) of the timeline after opening, classifying, routing and the first page."""
    return [(entry.kind, entry.at) for entry in state.timeline[start:]]


def pages(state: IncidentState) -> list[tuple[str, str, list[str], int | None]]:
    return [(page.step, page.kind, page.recipients, page.level) for page in state.outbox]


def test_open_classify_and_page_the_first_level(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    assert [(entry.kind, entry.at, entry.actor) for entry in state.timeline] == [
        ("incident.opened", T0, "monitor"),
        ("incident.classified", T0, None),
        ("incident.routed", T0, None),
        ("escalation.level_paged", T0, None),
    ]
    assert state.timeline[0].message == "Reported by monitor via monitoring: Checkout fails"
    assert state.timeline[0].data == {
        "service": "shop-payments",
        "category": "application_error",
        "impact": "all_users",
        "urgency": "high",
    }
    assert state.timeline[2].message == (
        "service 'shop-payments' is owned by team 'shop-payments'; escalation policy 'payments-critical'"
    )
    assert state.timeline[2].data == {"team": "shop-payments", "policy": "payments-critical", "known_service": True}
    assert state.timeline[3].message == "paged; level 1: amara"
    assert state.priority is Priority.P1
    assert state.status is Status.TRIGGERED
    assert (state.escalation_index, state.level_paged_at) == (0, T0)
    assert state.current_recipients == ["amara"]
    assert state.next_escalation_at() == at(5)
    assert state.next_wake() == at(2.5)  # the acknowledge clock's 50% warning comes first
    assert state.sla_deadline(Clock.ACKNOWLEDGE) == at(5)
    assert state.sla_deadline(Clock.RESOLVE) == at(60)
    assert state.outbox == [
        Page(
            step="page-0",
            kind="escalation",
            recipients=["amara"],
            subject="[P1] shop-payments: Checkout fails",
            text="level 1: please acknowledge\nIncident INC-1 — Checkout fails\nService: shop-payments\n"
            "Acknowledge by: 2026-01-05 09:05:00 UTC\nResolve by: 2026-01-05 10:00:00 UTC",
            level=1,
            title="Checkout fails",
            acknowledge_by=at(5),
            resolve_by=at(60),
        )
    ]


def test_the_escalation_delays_count_from_the_opening(open_incident: OpenIncident, catalog: LoadedCatalog) -> None:
    report = open_incident(T0).report
    found = route(catalog.catalog, report.service, catalog.version)
    decision = decide_priority(report.impact, report.urgency, found.criticality, catalog.version)
    state = IncidentState(incident_id="INC-2", report=report, opened_at=T0)
    record_opening(state, T0)
    classify(state, decision, found, at(0.5))  # classification took 30 seconds
    page_first_level(state, at(0.5))
    assert [(e.at, e.due) for e in state.escalations] == [(at(0.5), T0)]
    assert state.next_escalation_at() == at(5)


EXPECTED_UNACKNOWLEDGED = [
    ("sla.warning", at(2.5)),
    ("sla.warning", at(3.75)),
    ("escalation.level_paged", at(5)),
    ("sla.breached", at(5)),
    ("escalation.level_paged", at(15)),
    ("escalation.level_paged", at(30)),
    ("sla.warning", at(30)),
    ("escalation.level_paged", at(35)),
    ("escalation.level_paged", at(45)),
    ("sla.warning", at(45)),
    ("escalation.exhausted", at(60)),
    ("sla.breached", at(60)),
]


def test_nobody_acknowledges_the_whole_path_is_walked(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    run_until(state, at(24 * 60))
    assert events(state) == EXPECTED_UNACKNOWLEDGED
    assert [entry.data["due"] for entry in state.timeline[4:] if entry.kind.startswith("sla.")] == [
        "2026-01-05T09:02:30+00:00",
        "2026-01-05T09:03:45+00:00",
        "2026-01-05T09:05:00+00:00",
        "2026-01-05T09:30:00+00:00",
        "2026-01-05T09:45:00+00:00",
        "2026-01-05T10:00:00+00:00",
    ]
    assert [(e.index, e.loop, e.level, e.recipients, e.due) for e in state.escalations] == [
        (0, 1, 1, ["amara"], at(0)),
        (1, 1, 2, ["amara", "bruno"], at(5)),
        (2, 1, 3, ["chen", "kofi"], at(15)),
        (3, 2, 1, ["amara"], at(30)),
        (4, 2, 2, ["amara", "bruno"], at(35)),
        (5, 2, 3, ["chen", "kofi"], at(45)),
    ]
    assert [entry.message for entry in state.timeline if entry.kind.startswith("escalation.")][1:] == [
        "escalated: no acknowledgement; level 2: amara, bruno",
        "escalated: no acknowledgement; level 3: chen, kofi",
        "escalated: no acknowledgement; level 1 (pass 2): amara",
        "escalated: no acknowledgement; level 2 (pass 2): amara, bruno",
        "escalated: no acknowledgement; level 3 (pass 2): chen, kofi",
        "escalation path 'payments-critical' exhausted without acknowledgement; final owner kofi told",
    ]
    assert state.exhausted is True
    assert state.next_escalation_at() is None
    assert state.next_wake() is None
    assert state.breached_clocks(at(61)) == [Clock.ACKNOWLEDGE, Clock.RESOLVE]
    assert pages(state) == [
        ("page-0", "escalation", ["amara"], 1),
        ("sla-acknowledge-50", "sla_warning", ["amara"], None),
        ("sla-acknowledge-75", "sla_warning", ["amara"], None),
        ("page-1", "escalation", ["amara", "bruno"], 2),
        ("sla-acknowledge-100", "sla_breach", ["amara", "bruno"], None),
        ("page-2", "escalation", ["chen", "kofi"], 3),
        ("page-3", "escalation", ["amara"], 1),
        ("sla-resolve-50", "sla_warning", ["amara"], None),
        ("page-4", "escalation", ["amara", "bruno"], 2),
        ("page-5", "escalation", ["chen", "kofi"], 3),
        ("sla-resolve-75", "sla_warning", ["chen", "kofi"], None),
        ("exhausted", "exhausted", ["kofi"], None),
        ("sla-resolve-100", "sla_breach", ["chen", "kofi"], None),
    ]
    breach = state.outbox[4]
    assert breach.text == (
        "acknowledge SLA BREACHED\nIncident INC-1 — Checkout fails\nService: shop-payments\n"
        "Acknowledge by: 2026-01-05 09:05:00 UTC\nResolve by: 2026-01-05 10:00:00 UTC"
    )
    assert state.outbox[11].text.splitlines()[0] == "nobody acknowledged: the escalation path is exhausted"


def test_one_late_advance_fires_everything_in_the_order_it_fell_due(open_incident: OpenIncident) -> None:
    """A worker that was down for an hour catches up in one call, in the same order as at exact times."""
    state = open_incident(T0)
    advance(state, at(61))
    assert [kind for kind, _ in events(state)] == [kind for kind, _ in EXPECTED_UNACKNOWLEDGED]
    assert [e.due for e in state.escalations] == [at(0), at(5), at(15), at(30), at(35), at(45)]
    assert state.exhausted is True
    assert state.next_wake() is None


def test_acknowledge_stops_escalation_but_the_resolve_clock_keeps_running(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    run_until(state, at(3))
    acknowledge(state, "amara", at(4))
    assert state.status is Status.ACKNOWLEDGED
    assert (state.assignee, state.acknowledged_by, state.acknowledged_at) == ("amara", "amara", at(4))
    assert state.next_escalation_at() is None
    assert state.running_clocks() == {Clock.RESOLVE}
    assert [(p.key, p.at) for p in state.pending_sla()] == [
        ("resolve:50", at(30)),
        ("resolve:75", at(45)),
        ("resolve:100", at(60)),
    ]
    assert state.next_wake() == at(30)
    state.take_outbox()
    run_until(state, at(50))
    assert events(state)[-3:] == [
        ("incident.acknowledged", at(4)),
        ("sla.warning", at(30)),
        ("sla.warning", at(45)),
    ]
    assert len(state.escalations) == 1
    assert state.outbox[0].text == (
        "resolve SLA 50% elapsed\nIncident INC-1 — Checkout fails\nService: shop-payments\n"
        "Resolve by: 2026-01-05 10:00:00 UTC"
    )
    assert (state.outbox[0].acknowledge_by, state.outbox[0].resolve_by) == (None, at(60))
    assert state.breached_clocks(at(50)) == []


def test_resolve_stops_both_clocks_and_tells_everyone_paged(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    run_until(state, at(6))
    state.take_outbox()
    resolve(state, "bruno", "rolled back", "bad deploy", at(20))
    assert state.status is Status.RESOLVED
    assert (state.resolved_at, state.resolved_by) == (at(20), "bruno")
    assert (state.resolution_summary, state.root_cause) == ("rolled back", "bad deploy")
    assert state.timeline[-1].message == "resolved by bruno: rolled back (root cause: bad deploy)"
    assert state.running_clocks() == set()  # a resolution stops the acknowledge clock too
    assert state.clock_stopped_at(Clock.ACKNOWLEDGE) == at(20)
    assert state.pending_sla() == []
    assert state.next_escalation_at() is None
    assert state.next_wake() is None
    assert state.breached_clocks(at(20)) == [Clock.ACKNOWLEDGE]  # stopped at 09:20, due at 09:05
    assert pages(state) == [("resolved", "resolved", ["amara", "bruno"], None)]
    # both clocks have stopped, so the message asks for no more deadlines
    assert state.outbox[0].text == (
        "resolved by bruno: rolled back\nIncident INC-1 — Checkout fails\nService: shop-payments"
    )
    assert (state.outbox[0].title, state.outbox[0].acknowledge_by, state.outbox[0].resolve_by) == (
        "Checkout fails",
        None,
        None,
    )
    close_incident(state, at(21))
    assert (state.status, state.closed_at) == (Status.CLOSED, at(21))
    assert events(state)[-1] == ("incident.closed", at(21))


def test_raising_the_priority_records_the_breach_of_the_new_deadline(open_incident: OpenIncident) -> None:
    state = open_incident(
        T0, service="logistics-tracking", title="Tracking page stale", impact="many_users", urgency="low"
    )
    assert state.priority is Priority.P3
    state.take_outbox()
    set_priority(state, "ivan", Priority.P1, "partner outage", at(10))
    assert state.timeline[-1].message == "priority P3 → P1 by ivan: partner outage"
    assert state.timeline[-1].data == {"previous": "P3", "priority": "P1"}
    assert state.sla_deadline(Clock.ACKNOWLEDGE) == at(5)
    assert state.next_wake() == at(2.5)
    advance(state, at(10))
    assert events(state)[-3:] == [("sla.warning", at(10)), ("sla.warning", at(10)), ("sla.breached", at(10))]
    assert state.timeline[-1].message == "acknowledge SLA breached (deadline 2026-01-05 09:05:00 UTC)"
    assert state.sla_fired == ["acknowledge:50", "acknowledge:75", "acknowledge:100"]
    assert pages(state) == [("sla-acknowledge-100", "sla_breach", ["ivan"], None)]
    assert state.outbox[0].subject == "[P1] logistics-tracking: Tracking page stale"
    assert state.breached_clocks(at(10)) == [Clock.ACKNOWLEDGE]
    assert state.next_wake() == at(30)  # the next escalation and the resolve clock's 50% both fall at 09:30


def test_lowering_the_priority_re_arms_the_checkpoints_that_now_lie_ahead(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    run_until(state, at(50))
    assert state.sla_fired == ["acknowledge:50", "acknowledge:75", "acknowledge:100", "resolve:50", "resolve:75"]
    set_priority(state, "kofi", Priority.P2, "only the admin console", at(50))
    assert state.sla_fired == ["acknowledge:50", "acknowledge:75", "acknowledge:100"]
    assert [(p.key, p.at) for p in state.pending_sla()] == [
        ("resolve:50", at(120)),
        ("resolve:75", at(180)),
        ("resolve:100", at(240)),
    ]
    assert state.next_wake() == at(60)  # the escalation path still ends at 10:00
    run_until(state, at(24 * 60))
    assert events(state)[-4:] == [
        ("escalation.exhausted", at(60)),
        ("sla.warning", at(120)),
        ("sla.warning", at(180)),
        ("sla.breached", at(240)),
    ]
