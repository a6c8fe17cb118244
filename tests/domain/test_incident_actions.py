"""IncidentState and responders: what check() refuses and what each action changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import IllegalTransition, InvalidAction, UnknownResponder
from domain.incident import (
    Action,
    Delivery,
    IncidentState,
    Page,
    acknowledge,
    add_note,
    advance,
    close_incident,
    escalate,
    reassign,
    record_attempt,
    record_rejected,
    resolve,
)
from domain.models import Category, Impact, IncidentReport, Priority, Source, Status, Urgency
from domain.policy.sla import Clock

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OpenIncident = Callable[..., IncidentState]  # the conftest fixture: opened, classified, level 1 paged


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_an_unknown_responder_is_refused_and_nothing_changes(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    before = state.model_copy(deep=True)
    with pytest.raises(UnknownResponder) as refused:
        acknowledge(state, "mallory", at(1))
    assert str(refused.value) == "unknown responder 'mallory': not a user in the catalog"
    assert state == before


@pytest.mark.parametrize(
    ("action", "details", "error", "message"),
    [
        (Action.REASSIGN, {"to": "zed"}, UnknownResponder, "cannot reassign to unknown responder 'zed'"),
        (Action.REASSIGN, {"to": "amara"}, InvalidAction, "cannot reassign: amara is already the assignee"),
        (Action.SET_PRIORITY, {"priority": Priority.P1}, InvalidAction, "cannot set the priority: it is already P1"),
        (Action.ACKNOWLEDGE, {}, IllegalTransition, "cannot acknowledge: the incident is already acknowledged"),
        (Action.CLOSE, {}, IllegalTransition, "cannot close: the incident is acknowledged, not resolved yet"),
    ],
)
def test_check_refuses(
    open_incident: OpenIncident, action: Action, details: dict[str, object], error: type[Exception], message: str
) -> None:
    state = open_incident(T0)
    acknowledge(state, "amara", at(1))
    with pytest.raises(error) as refused:
        state.check(action, "bruno", **details)  # type: ignore[arg-type]
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("action", "details", "after"),
    [
        (Action.RESOLVE, {}, Status.RESOLVED),
        (Action.ESCALATE, {}, Status.TRIGGERED),
        (Action.REASSIGN, {"to": "chen"}, Status.TRIGGERED),
        (Action.SET_PRIORITY, {"priority": Priority.P2}, Status.ACKNOWLEDGED),
        (Action.ADD_NOTE, {}, Status.ACKNOWLEDGED),
    ],
)
def test_check_answers_the_next_status_and_changes_nothing(
    open_incident: OpenIncident, action: Action, details: dict[str, object], after: Status
) -> None:
    state = open_incident(T0)
    acknowledge(state, "amara", at(1))
    before = state.model_copy(deep=True)
    assert state.check(action, "bruno", **details) is after  # type: ignore[arg-type]
    assert state == before


def test_escalating_past_the_end_of_the_path_is_refused(open_incident: OpenIncident) -> None:
    # an unknown service goes to incident-command, whose policy has a single level and no repeat
    state = open_incident(T0, service="mystery-service")
    with pytest.raises(InvalidAction) as refused:
        escalate(state, "kofi", "help", at(1))
    assert str(refused.value) == "cannot escalate: there is no further level on the escalation path"
    assert len(state.escalations) == 1


def test_an_unclassified_incident_cannot_be_escalated_or_reprioritised() -> None:
    report = IncidentReport(
        title="Checkout fails",
        service="shop-payments",
        category=Category.APPLICATION_ERROR,
        source=Source.MONITORING,
        impact=Impact.ALL_USERS,
        urgency=Urgency.HIGH,
        reporter="monitor",
    )
    state = IncidentState(incident_id="INC-2", report=report, opened_at=T0)
    with pytest.raises(InvalidAction) as escalate:
        state.check(Action.ESCALATE, "anyone")
    assert str(escalate.value) == "cannot escalate: the incident is not classified yet"
    with pytest.raises(InvalidAction) as set_priority:
        state.check(Action.SET_PRIORITY, "anyone", priority=Priority.P2)
    assert str(set_priority.value) == "cannot set the priority: the incident is not classified yet"
    assert state.next_wake() is None
    assert state.current_recipients == []
    assert state.sla_deadline(Clock.ACKNOWLEDGE) is None


def test_escalating_by_hand_pages_the_next_level_and_restarts_its_delay(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    acknowledge(state, "amara", at(1))
    state.take_outbox()
    escalate(state, "amara", "needs the database team", at(2))
    assert (state.status, state.assignee, state.escalation_index) == (Status.TRIGGERED, None, 1)
    assert state.acknowledged_at == at(1)  # the first acknowledgement still counts for the SLA
    assert [(entry.kind, entry.message, entry.actor) for entry in state.timeline[-2:]] == [
        ("incident.escalated", "escalated by hand by amara: needs the database team", "amara"),
        ("escalation.level_paged", "escalated by amara; level 2: amara, bruno", "amara"),
    ]
    assert state.escalations[-1].model_dump() == {
        "index": 1,
        "loop": 1,
        "level": 2,
        "recipients": ["amara", "bruno"],
        "at": at(2),
        "due": at(2),
        "by": "amara",
        "on_call": [],
    }
    assert state.next_escalation_at() == at(12)
    assert [(p.step, p.recipients) for p in state.outbox] == [("page-1", ["amara", "bruno"])]
    acknowledge(state, "bruno", at(3))
    assert (state.assignee, state.acknowledged_by, state.acknowledged_at) == ("bruno", "amara", at(1))


def test_reassigning_gives_the_new_assignee_the_level_delay(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    acknowledge(state, "amara", at(3))
    state.take_outbox()
    reassign(state, "amara", "chen", "platform issue", at(4))
    assert (state.status, state.assignee, state.level_paged_at) == (Status.TRIGGERED, "chen", at(4))
    assert state.next_escalation_at() == at(9)
    assert state.timeline[-1].message == "reassigned to chen by amara: platform issue"
    assert [(p.step, p.kind, p.recipients) for p in state.outbox] == [("reassigned-6", "reassigned", ["chen"])]
    assert state.outbox[0].text.splitlines()[0] == "assigned to you by amara: platform issue"
    with pytest.raises(InvalidAction, match=r"^cannot reassign: chen is already the assignee$"):
        reassign(state, "amara", "chen", "again", at(5))


def test_sla_pages_go_to_the_assignee_first(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    reassign(state, "kofi", "chen", "platform issue", at(1))
    state.take_outbox()
    advance(state, at(2.5))
    assert [(p.step, p.recipients) for p in state.outbox] == [("sla-acknowledge-50", ["chen", "amara"])]


def test_notes_and_rejected_signals_go_on_the_timeline(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    add_note(state, "bruno", "looking at the card processor", at(1))
    record_rejected(state, "acknowledge", "mallory", "unknown responder", at(2))
    assert [(e.kind, e.at, e.actor, e.message, e.data) for e in state.timeline[-2:]] == [
        ("note.added", at(1), "bruno", "looking at the card processor", {}),
        (
            "action.rejected",
            at(2),
            "mallory",
            "acknowledge by mallory refused: unknown responder",
            {"action": "acknowledge"},
        ),
    ]
    resolve(state, "bruno", "fixed", "expired certificate", at(3))
    add_note(state, "bruno", "post-mortem on Friday", at(4))
    close_incident(state, at(5))
    with pytest.raises(IllegalTransition, match=r"^cannot add note: the incident is already closed$"):
        add_note(state, "bruno", "too late", at(6))


def test_take_outbox_empties_it_and_counts(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    first = state.take_outbox()
    assert [page.step for page in first] == ["page-0"]
    assert (state.outbox, state.pages_sent) == ([], 1)
    acknowledge(state, "amara", at(1))
    advance(state, at(61))  # three resolve checkpoints at once: one page, for the most severe
    assert [entry.kind for entry in state.timeline[-3:]] == ["sla.warning", "sla.warning", "sla.breached"]
    assert [(p.step, p.kind, p.recipients) for p in state.take_outbox()] == [
        ("sla-resolve-100", "sla_breach", ["amara"])
    ]
    assert state.pages_sent == 2


PAGE = Page(step="page-0", kind="escalation", recipients=["amara"], subject="s", text="t", level=1)


@pytest.mark.parametrize(
    ("outcome", "attempt", "detail", "message", "delivered"),
    [
        ("delivered", 1, "200 OK", "delivered (attempt 1: 200 OK)", True),
        ("retrying", 2, "503; next try in 0:00:04", "retrying (attempt 2: 503; next try in 0:00:04)", False),
        ("failed", 12, "400 bad channel", "failed (attempt 12: 400 bad channel)", True),
    ],
)
def test_record_attempt(
    open_incident: OpenIncident, outcome: str, attempt: int, detail: str, message: str, delivered: bool
) -> None:
    state = open_incident(T0)
    record_attempt(state, PAGE, "slack", attempt, outcome, detail, at(1))
    entry = state.timeline[-1]
    assert (entry.kind, entry.at, entry.message) == (
        f"notification.{outcome}",
        at(1),
        f"escalation via slack to amara: {message}",
    )
    assert entry.data == {"step": "page-0", "channel": "slack", "attempt": attempt}
    expected = Delivery(
        step="page-0", channel="slack", recipients=["amara"], outcome=outcome, attempts=attempt, detail=detail, at=at(1)
    )
    assert state.deliveries == ([expected] if delivered else [])


def test_record_attempt_to_nobody() -> None:
    report = IncidentReport(
        title="Nobody home",
        service="x",
        category=Category.NETWORK_PROBLEM,
        source=Source.TICKET,
        impact=Impact.SINGLE_USER,
        urgency=Urgency.LOW,
        reporter="r",
    )
    state = IncidentState(incident_id="INC-3", report=report, opened_at=T0)
    empty = PAGE.model_copy(update={"recipients": []})
    record_attempt(state, empty, "email", 1, "delivered", "queued", T0)
    assert state.timeline[-1].message == "escalation via email to nobody: delivered (attempt 1: queued)"
