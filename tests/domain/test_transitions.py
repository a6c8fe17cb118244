"""The transition table: every (status, action) pair, allowed with its next status or refused with its reason."""

from __future__ import annotations

import pytest

from domain.errors import DomainError, IllegalTransition
from domain.models import Status
from domain.transitions import TRANSITIONS, Action, next_status

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
    (R, Action.ADD_NOTE, R),
    (R, Action.CLOSE, C),
]

REFUSED = [
    (T, Action.CLOSE, "cannot close: the incident is triggered, not resolved yet"),
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
]


def test_the_two_tables_cover_every_pair_once() -> None:
    pairs = [(status, action) for status, action, _ in ALLOWED + REFUSED]
    assert len(pairs) == len(Status) * len(Action) == 28
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
