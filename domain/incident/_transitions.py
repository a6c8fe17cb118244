"""Every status change an incident can make, in one table consulted by every action."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import IllegalTransition
from domain.models import Status


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    ADD_NOTE = "add_note"
    ESCALATE = "escalate"
    REASSIGN = "reassign"
    SET_PRIORITY = "set_priority"
    SNOOZE = "snooze"
    RETRIGGER = "retrigger"
    """Performed by the system: an acknowledgement timed out, or a snooze ended."""
    ASSIGN_ROLE = "assign_role"
    REPOLICY = "repolicy"
    REVIEW = "review"
    STATUS_UPDATE = "status_update"
    SUBSCRIBE = "subscribe"
    ACTION_ITEM = "action_item"
    REOPEN = "reopen"
    """A resolved incident within its reopen window: by a responder, or by monitoring when its alert fires again."""
    CLOSE = "close"


T, A, R, C = Status.TRIGGERED, Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (T, Action.ACKNOWLEDGE): A,
    (T, Action.RESOLVE): R,
    (A, Action.RESOLVE): R,
    (T, Action.ADD_NOTE): T,
    (A, Action.ADD_NOTE): A,
    (R, Action.ADD_NOTE): R,
    (T, Action.ESCALATE): T,
    (A, Action.ESCALATE): T,  # the first line cannot fix it: the next level must acknowledge
    (T, Action.REASSIGN): T,
    (A, Action.REASSIGN): T,  # the new assignee must acknowledge
    (T, Action.SET_PRIORITY): T,
    (A, Action.SET_PRIORITY): A,
    (T, Action.SNOOZE): A,  # snoozing acknowledges: the snoozer owns the incident while nothing pages
    (A, Action.SNOOZE): A,
    (A, Action.RETRIGGER): T,
    (R, Action.REOPEN): T,
    (T, Action.ASSIGN_ROLE): T,
    (A, Action.ASSIGN_ROLE): A,
    (R, Action.ASSIGN_ROLE): R,
    (T, Action.REPOLICY): T,
    (A, Action.REPOLICY): A,
    (T, Action.STATUS_UPDATE): T,
    (A, Action.STATUS_UPDATE): A,
    (R, Action.STATUS_UPDATE): R,
    (T, Action.SUBSCRIBE): T,
    (A, Action.SUBSCRIBE): A,
    (R, Action.SUBSCRIBE): R,
    (T, Action.REVIEW): T,
    (A, Action.REVIEW): A,
    (R, Action.REVIEW): R,
    (T, Action.ACTION_ITEM): T,
    (A, Action.ACTION_ITEM): A,
    (R, Action.ACTION_ITEM): R,
    (R, Action.CLOSE): C,
}

VERBS = {
    Action.ASSIGN_ROLE: "assign a role",
    Action.REPOLICY: "move it to the current policy",
    Action.REVIEW: "change the review",
    Action.STATUS_UPDATE: "post a status update",
    Action.ACTION_ITEM: "change action items",
}
"""How a refusal names the action, where its name does not read as a verb."""

SNOOZED_TRANSITIONS: dict[Action, Status] = {Action.ACKNOWLEDGE: A}
"""A snoozed incident is acknowledged; acknowledging it again ends the snooze (the new acknowledger owns it)."""


def next_status(status: Status, action: Action, *, snoozed: bool = False) -> Status:
    """The status after ``action``, or IllegalTransition naming why it is refused."""
    if snoozed and status is A and action in SNOOZED_TRANSITIONS:
        return SNOOZED_TRANSITIONS[action]
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        verb = VERBS.get(action, action.value.replace("_", " "))
        if action is Action.ACKNOWLEDGE and status is Status.ACKNOWLEDGED:
            raise IllegalTransition("cannot acknowledge: the incident is already acknowledged") from None
        if action is Action.REOPEN and status in (Status.TRIGGERED, Status.ACKNOWLEDGED):
            raise IllegalTransition(f"cannot reopen: the incident is {status.value}, not resolved") from None
        if action is Action.CLOSE and status in (Status.TRIGGERED, Status.ACKNOWLEDGED):
            raise IllegalTransition(f"cannot close: the incident is {status.value}, not resolved yet") from None
        raise IllegalTransition(f"cannot {verb}: the incident is already {status.value}") from None
