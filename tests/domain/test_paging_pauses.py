"""Pauses in paging, at exact times: acknowledgement timeouts and snoozes, and what people see of pauses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import IllegalTransition, InvalidAction, UnknownResponder
from domain.incident import acknowledge, add_note, escalate, resolve, set_priority, snooze
from domain.models import Priority, Status
from domain.views.record import build_record, describe, render_markdown, status_view
from tests.support.pausing import PAGING, T0, TIMEOUT, WINDOW, at, events, opened, pages, payments_catalog, run_until

# ---- acknowledgement timeout ----------------------------------------------------------------------------------


def test_quiet_after_acknowledgement_reminds_then_retriggers_and_escalation_resumes() -> None:
    state = opened(T0, payments_catalog(**TIMEOUT))
    pages(state)
    run_until(state, at(2))
    acknowledge(state, "amara", at(2))
    assert state.next_wake() == at(22)  # the reminder comes before the resolve clock's 50% at 30
    run_until(state, at(90))
    assert events(state, *PAGING) == [
        ("escalation.level_paged", 0),
        ("incident.acknowledged", 2),
        ("acknowledgement.reminder", 22),
        ("sla.warning", 30),
        ("incident.retriggered", 37),
        ("escalation.level_paged", 37),
        ("escalation.level_paged", 42),
        ("sla.warning", 45),
        ("escalation.level_paged", 52),
        ("sla.breached", 60),
        ("escalation.level_paged", 67),
        ("escalation.level_paged", 72),
        ("escalation.level_paged", 82),
    ]
    reminder = next(e for e in state.timeline if e.kind == "acknowledgement.reminder")
    assert reminder.message == (
        "acknowledged, no activity for 20m: reminded amara; returns to triggered at 2026-01-05 09:37:00 UTC "
        "unless a responder acts"
    )
    retriggered = next(e for e in state.timeline if e.kind == "incident.retriggered")
    assert (retriggered.message, retriggered.actor) == (
        "returned to triggered: acknowledged by amara without activity for 35m",
        None,
    )
    assert [(e.index, e.level, e.loop, e.due) for e in state.escalations] == [
        (0, 1, 1, at(0)),
        (0, 1, 1, at(37)),
        (1, 2, 1, at(42)),
        (2, 3, 1, at(52)),
        (3, 1, 2, at(67)),
        (4, 2, 2, at(72)),
        (5, 3, 2, at(82)),
    ]
    assert [(step, kind, people) for step, kind, people in pages(state) if kind != "sla_warning"][:5] == [
        ("reminder-1", "reminder", ["amara"]),
        ("page-0-2", "escalation", ["amara"]),
        ("page-1", "escalation", ["amara", "bruno"]),
        ("page-2", "escalation", ["chen", "kofi"]),
        ("sla-resolve-100", "sla_breach", ["chen", "kofi"]),
    ]
    assert (state.status, state.assignee, state.acknowledged_by) == (Status.TRIGGERED, None, "amara")


def test_activity_pushes_the_reminder_and_the_retrigger_back() -> None:
    state = opened(T0, payments_catalog(**TIMEOUT))
    acknowledge(state, "amara", at(2))
    run_until(state, at(15))
    add_note(state, "bruno", "card processor answers 502", at(15))
    assert state.next_reminder_at() == at(35)
    run_until(state, at(40))
    set_priority(state, "amara", Priority.P2, "only EU cards", at(40))  # after the reminder
    assert state.next_reminder_at() == at(60)
    run_until(state, at(100))
    assert events(state, "acknowledgement.reminder", "incident.retriggered", "escalation.level_paged") == [
        ("escalation.level_paged", 0),
        ("acknowledgement.reminder", 35),
        ("acknowledgement.reminder", 60),
        ("incident.retriggered", 75),
        ("escalation.level_paged", 75),
        ("escalation.level_paged", 80),
        ("escalation.level_paged", 90),
    ]
    assert [page.step for page in state.outbox if page.kind == "reminder"] == ["reminder-1", "reminder-2"]


def test_a_retrigger_pages_the_level_that_acknowledged_again() -> None:
    state = opened(T0, payments_catalog(**TIMEOUT))
    run_until(state, at(7))  # level 2 paged at 5
    acknowledge(state, "bruno", at(7))
    run_until(state, at(60))
    assert events(state, "acknowledgement.reminder", "incident.retriggered", "escalation.level_paged") == [
        ("escalation.level_paged", 0),
        ("escalation.level_paged", 5),
        ("acknowledgement.reminder", 27),
        ("incident.retriggered", 42),
        ("escalation.level_paged", 42),
        ("escalation.level_paged", 52),
    ]
    assert [(e.index, e.level, e.due) for e in state.escalations[-2:]] == [(1, 2, at(42)), (2, 3, at(52))]
    assert [page.recipients for page in state.outbox if page.kind == "reminder"] == [["bruno"]]
    assert [page.step for page in state.outbox if page.kind == "escalation"] == [
        "page-0",
        "page-1",
        "page-1-2",
        "page-2",
    ]


def test_without_an_acknowledgement_timeout_an_acknowledged_incident_waits() -> None:
    state = opened(T0, payments_catalog())
    acknowledge(state, "amara", at(2))
    assert state.next_reminder_at() is None
    assert state.next_wake() == at(30)
    run_until(state, at(24 * 60))
    assert events(state, "acknowledgement.reminder", "incident.retriggered", "escalation.level_paged") == [
        ("escalation.level_paged", 0)
    ]
    assert state.status is Status.ACKNOWLEDGED


def test_monitoring_acting_is_no_responder_activity() -> None:
    state = opened(T0, payments_catalog(**TIMEOUT))
    acknowledge(state, "amara", at(2))
    add_note(state, "monitoring:prometheus", "still firing", at(10))
    assert state.next_reminder_at() == at(22)


# ---- snooze ---------------------------------------------------------------------------------------------------


def test_snoozing_a_triggered_incident_acknowledges_it_and_holds_every_page_until_it_ends() -> None:
    state = opened(T0, payments_catalog())
    pages(state)
    snooze(state, "amara", timedelta(minutes=32), "deploying the fix", at(1))
    assert (state.status, state.assignee, state.acknowledged_by, state.acknowledged_at) == (
        Status.ACKNOWLEDGED,
        "amara",
        "amara",
        at(1),
    )
    assert state.snoozed_until == at(33)
    assert state.next_wake() == at(30)  # the resolve clock's 50% is still recorded
    run_until(state, at(50))
    assert events(state, *PAGING, "incident.snoozed", "snooze.ended") == [
        ("escalation.level_paged", 0),
        ("incident.snoozed", 1),
        ("sla.warning", 30),
        ("page.suppressed", 30),
        ("snooze.ended", 33),
        ("incident.retriggered", 33),
        ("escalation.level_paged", 33),
        ("escalation.level_paged", 38),
        ("sla.warning", 45),
        ("escalation.level_paged", 48),
    ]
    suppressed = next(e for e in state.timeline if e.kind == "page.suppressed")
    assert suppressed.message == "sla_warning page to amara suppressed: snoozed by amara until 2026-01-05 09:33:00 UTC"
    assert suppressed.data == {"step": "sla-resolve-50"}
    assert pages(state) == [
        ("page-0-2", "escalation", ["amara"]),
        ("page-1", "escalation", ["amara", "bruno"]),
        ("sla-resolve-75", "sla_warning", ["amara", "bruno"]),
        ("page-2", "escalation", ["chen", "kofi"]),
    ]
    assert [(s.by, s.at, s.until, s.ended_at, s.ended_by) for s in state.snoozes] == [
        ("amara", at(1), at(33), at(33), None)
    ]


def test_acknowledging_a_snoozed_incident_ends_the_snooze() -> None:
    state = opened(T0, payments_catalog())
    snooze(state, "amara", timedelta(minutes=30), "looking", at(1))
    acknowledge(state, "bruno", at(10))
    assert (state.status, state.assignee, state.snoozed_until, state.acknowledged_by) == (
        Status.ACKNOWLEDGED,
        "bruno",
        None,
        "amara",
    )
    assert events(state, "snooze.ended", "incident.acknowledged") == [
        ("snooze.ended", 10),
        ("incident.acknowledged", 10),
    ]
    run_until(state, at(40))
    assert events(state, "incident.retriggered", "page.suppressed") == []
    assert [page.step for page in state.outbox][-1] == "sla-resolve-50"


def test_resolving_during_a_snooze_ends_it_and_nothing_pages_again() -> None:
    state = opened(T0, payments_catalog())
    snooze(state, "amara", timedelta(minutes=30), "looking", at(1))
    pages(state)
    resolve(state, "amara", "rolled back", "bad deploy", at(20))
    assert (state.next_wake(), state.snoozed_until) == (None, None)
    assert pages(state) == [("resolved", "resolved", ["amara"])]
    assert state.snoozes[0].ended_by == "amara"


def test_escalating_by_hand_ends_a_snooze() -> None:
    state = opened(T0, payments_catalog())
    snooze(state, "amara", timedelta(minutes=30), "looking", at(1))
    escalate(state, "amara", "need the team", at(3))
    assert (state.status, state.snoozed_until, state.next_escalation_at()) == (Status.TRIGGERED, None, at(13))


@pytest.mark.parametrize(
    ("duration", "longest", "refusal"),
    [
        (timedelta(seconds=59), None, "cannot snooze for 59s: a snooze lasts at least 1m"),
        (timedelta(hours=24, seconds=1), None, "cannot snooze for 1d1s: policy 'payments-critical' allows at most 1d"),
        (timedelta(hours=2, minutes=1), "2h", "cannot snooze for 2h1m: policy 'payments-critical' allows at most 2h"),
    ],
)
def test_a_snooze_out_of_bounds_is_refused_naming_the_bound(
    duration: timedelta, longest: str | None, refusal: str
) -> None:
    state = opened(T0, payments_catalog(**({"longest_snooze": longest} if longest else {})))
    with pytest.raises(InvalidAction) as refused:
        state.check_snooze("amara", duration)
    assert str(refused.value) == refusal
    assert (state.status, state.snoozes) == (Status.TRIGGERED, [])


@pytest.mark.parametrize("duration", [timedelta(minutes=1), timedelta(hours=24)])
def test_the_bounds_themselves_are_allowed(duration: timedelta) -> None:
    state = opened(T0, payments_catalog())
    assert state.check_snooze("amara", duration) is Status.ACKNOWLEDGED


def test_a_resolved_incident_cannot_be_snoozed_and_an_outsider_cannot_snooze() -> None:
    state = opened(T0, payments_catalog())
    with pytest.raises(UnknownResponder):
        state.check_snooze("zed", timedelta(minutes=5))
    resolve(state, "amara", "fixed", "leak", at(3))
    with pytest.raises(IllegalTransition) as refused:
        snooze(state, "amara", timedelta(minutes=5), "x", at(4))
    assert str(refused.value) == "cannot snooze: the incident is already resolved"


def test_snoozing_again_replaces_the_snooze() -> None:
    state = opened(T0, payments_catalog(**TIMEOUT))
    snooze(state, "amara", timedelta(minutes=10), "first look", at(1))
    snooze(state, "bruno", timedelta(minutes=20), "waiting for the vendor", at(8))
    assert (state.snoozed_until, state.assignee, state.next_reminder_at()) == (at(28), "amara", None)
    assert [(s.until, s.ended_at, s.ended_by) for s in state.snoozes] == [
        (at(11), at(8), "bruno"),
        (at(28), None, None),
    ]
    run_until(state, at(28))
    assert events(state, "incident.retriggered", "escalation.level_paged") == [
        ("escalation.level_paged", 0),
        ("incident.retriggered", 28),
        ("escalation.level_paged", 28),
    ]


# ---- what people see ----------------------------------------------------------------------------------------------


def test_the_status_view_the_details_and_the_record_show_pauses() -> None:
    state = opened(T0, payments_catalog())
    snooze(state, "amara", timedelta(minutes=30), "deploying", at(1))
    view = status_view(state, at(2))
    assert (view.snoozed_until, view.maintenance_until) == (at(31), None)
    assert describe(state, at(2)) == (
        "P1 · acknowledged — acknowledged by amara — snoozed until 2026-01-05 09:31:00 UTC — "
        "resolve SLA breaches at 2026-01-05 10:00:00 UTC"
    )
    resolve(state, "bruno", "rolled back", "bad deploy", at(5))
    record = build_record(state, at(5))
    assert [(z.by, z.at, z.until, z.ended_at, z.ended_by) for z in record.snoozes] == [
        ("amara", at(1), at(31), at(5), "bruno")
    ]
    markdown = render_markdown(record)
    assert (
        "## Snoozes\n\n| From | Until | By | Ended early by |\n|---|---|---|---|\n"
        "| 2026-01-05 09:01:00 UTC | 2026-01-05 09:31:00 UTC | amara | bruno |\n\n## Notifications"
    ) in markdown

    held = opened(at(10), payments_catalog(), WINDOW)
    assert status_view(held, at(11)).maintenance_until == at(50)
    assert describe(held, at(11)) == (
        "P1 · triggered — maintenance window: nothing pages until 2026-01-05 09:50:00 UTC — "
        "acknowledge SLA breaches at 2026-01-05 09:15:00 UTC — resolve SLA breaches at 2026-01-05 10:10:00 UTC"
    )
    assert "## Snoozes" not in render_markdown(build_record(held, at(11)))
