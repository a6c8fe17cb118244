"""The transition table: every (status, action) pair, allowed with its next status or refused with its reason."""

from __future__ import annotations

import pytest

from domain.errors import DomainError, IllegalTransition
from domain.incident import TRANSITIONS, Action, next_status
from domain.models import Status

T, A, R, C = Status.TRIGGERED, Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED

ALLOWED = [
    (T, Action.ACKNOWLEDGE, A),
    (T, Action.RESOLVE, R),
    (T, Action.ADD_NOTE, T),
    (T, Action.ESCALATE, T),
    (T, Action.REASSIGN, T),
    (T, Action.SET_PRIORITY, T),
    (A, Action.RESOLVE, R),
    (A, Action.ADD_NOTE, A),
    (A, Action.ESCALATE, T),
    (A, Action.REASSIGN, T),
    (A, Action.SET_PRIORITY, A),
    (T, Action.SNOOZE, A),
    (A, Action.SNOOZE, A),
    (A, Action.RETRIGGER, T),
    (R, Action.ADD_NOTE, R),
    (R, Action.REOPEN, T),
    (T, Action.ASSIGN_ROLE, T),
    (A, Action.ASSIGN_ROLE, A),
    (R, Action.ASSIGN_ROLE, R),
    (T, Action.REPOLICY, T),
    (A, Action.REPOLICY, A),
    (T, Action.STATUS_UPDATE, T),
    (A, Action.STATUS_UPDATE, A),
    (R, Action.STATUS_UPDATE, R),
    (T, Action.SUBSCRIBE, T),
    (A, Action.SUBSCRIBE, A),
    (R, Action.SUBSCRIBE, R),
    (T, Action.REVIEW, T),
    (A, Action.REVIEW, A),
    (R, Action.REVIEW, R),
    (T, Action.ACTION_ITEM, T),
    (A, Action.ACTION_ITEM, A),
    (R, Action.ACTION_ITEM, R),
    (R, Action.CLOSE, C),
]

REFUSED = [
    (T, Action.CLOSE, "cannot close: the incident is triggered, not resolved yet"),
    (T, Action.RETRIGGER, "cannot retrigger: the incident is already triggered"),
    (R, Action.SNOOZE, "cannot snooze: the incident is already resolved"),
    (R, Action.RETRIGGER, "cannot retrigger: the incident is already resolved"),
    (C, Action.SNOOZE, "cannot snooze: the incident is already closed"),
    (C, Action.RETRIGGER, "cannot retrigger: the incident is already closed"),
    (A, Action.ACKNOWLEDGE, "cannot acknowledge: the incident is already acknowledged"),
    (A, Action.CLOSE, "cannot close: the incident is acknowledged, not resolved yet"),
    (R, Action.ACKNOWLEDGE, "cannot acknowledge: the incident is already resolved"),
    (R, Action.RESOLVE, "cannot resolve: the incident is already resolved"),
    (R, Action.ESCALATE, "cannot escalate: the incident is already resolved"),
    (R, Action.REASSIGN, "cannot reassign: the incident is already resolved"),
    (R, Action.SET_PRIORITY, "cannot set priority: the incident is already resolved"),
    (C, Action.ACKNOWLEDGE, "cannot acknowledge: the incident is already closed"),
    (C, Action.RESOLVE, "cannot resolve: the incident is already closed"),
    (C, Action.ADD_NOTE, "cannot add note: the incident is already closed"),
    (C, Action.ESCALATE, "cannot escalate: the incident is already closed"),
    (C, Action.REASSIGN, "cannot reassign: the incident is already closed"),
    (C, Action.SET_PRIORITY, "cannot set priority: the incident is already closed"),
    (C, Action.CLOSE, "cannot close: the incident is already closed"),
    (T, Action.REOPEN, "cannot reopen: the incident is triggered, not resolved"),
    (A, Action.REOPEN, "cannot reopen: the incident is acknowledged, not resolved"),
    (C, Action.REOPEN, "cannot reopen: the incident is already closed"),
    (C, Action.ASSIGN_ROLE, "cannot assign a role: the incident is already closed"),
    (C, Action.REVIEW, "cannot change the review: the incident is already closed"),
    (C, Action.STATUS_UPDATE, "cannot post a status update: the incident is already closed"),
    (C, Action.SUBSCRIBE, "cannot subscribe: the incident is already closed"),
    (R, Action.REPOLICY, "cannot move it to the current policy: the incident is already resolved"),
    (C, Action.REPOLICY, "cannot move it to the current policy: the incident is already closed"),
    (C, Action.ACTION_ITEM, "cannot change action items: the incident is already closed"),
]


def test_the_two_tables_cover_every_pair_once() -> None:
    pairs = [(status, action) for status, action, _ in ALLOWED + REFUSED]
    assert len(pairs) == len(Status) * len(Action) == 64
    assert set(pairs) == {(status, action) for status in Status for action in Action}
    assert dict(((status, action), after) for status, action, after in ALLOWED) == TRANSITIONS


@pytest.mark.parametrize(("status", "action", "after"), ALLOWED)
def test_allowed(status: Status, action: Action, after: Status) -> None:
    assert next_status(status, action) is after


@pytest.mark.parametrize(("status", "action", "message"), REFUSED)
def test_refused(status: Status, action: Action, message: str) -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_status(status, action)
    assert str(refused.value) == message
    assert refused.value.code == "IllegalTransition"
    assert isinstance(refused.value, DomainError)
    assert refused.value.__suppress_context__ is True  # the KeyError of the lookup is not shown


@pytest.mark.parametrize("status", list(Status))
def test_acknowledging_a_snoozed_incident_ends_the_snooze(status: Status) -> None:
    """Only an acknowledged incident can be snoozed; acknowledging it again is allowed then, and only then."""
    if status is A:
        assert next_status(A, Action.ACKNOWLEDGE, snoozed=True) is A
        return
    expected = next_status(status, Action.ACKNOWLEDGE) if (status, Action.ACKNOWLEDGE) in TRANSITIONS else None
    if expected is None:
        with pytest.raises(IllegalTransition):
            next_status(status, Action.ACKNOWLEDGE, snoozed=True)
    else:
        assert next_status(status, Action.ACKNOWLEDGE, snoozed=True) is expected
