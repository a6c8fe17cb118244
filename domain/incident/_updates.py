"""Stakeholders and status updates: who is told how the response stands, and the reminder to tell them.

A status update (investigating, identified, monitoring) goes to the catalog's subscribers of the incident's service
for its priority and to everyone who subscribed to the incident, through the channels, with the same retries and
timeline entries as pages. A policy's ``update_every`` reminds the commander (else the assignee, else the current
level) when no update was posted for that long while the incident is open, and again every interval after that.
"""

from __future__ import annotations

from datetime import datetime

from domain.durations import format_duration
from domain.errors import InvalidAction, LimitReached
from domain.incident import budget
from domain.incident._actors import responder_active, taken_over
from domain.incident._paging import current_audience, queue
from domain.incident._state import IncidentState
from domain.incident._timeline import StatusUpdate
from domain.incident._transitions import Action
from domain.models import Role, UpdateState


def stakeholders(state: IncidentState) -> list[str]:
    """The catalog's subscribers of the service for the incident's priority, then those who subscribed, each once."""
    people: list[str] = []
    subscriptions = state.route.subscribers if state.route is not None else []
    for subscription in subscriptions:
        if state.priority in subscription.priorities:
            people += [user for user in subscription.users if user not in people]
    return people + [user for user in state.subscribers if user not in people]


def check_update(state: IncidentState, by: str) -> None:
    state.check(Action.STATUS_UPDATE, by)
    if len(state.updates) >= budget.MAX_STATUS_UPDATES:
        raise LimitReached(f"cannot post the update: the incident holds {len(state.updates)}, the most it keeps")


def post_update(state: IncidentState, by: str, where: UpdateState, message: str, now: datetime) -> None:
    check_update(state, by)
    taken_over(state, by)
    responder_active(state, by, now)
    told = stakeholders(state)
    state.updates.append(StatusUpdate(at=now, by=by, state=where, message=message, told=told))
    number = len(state.updates)
    who = ", ".join(told) if told else "nobody subscribed"
    state.record(now, "status.update", f"{where.value}: {message} (told {who})", actor=by, state=where.value)
    if told:
        queue(state, f"update-{number}", "status_update", told, f"status update ({where.value}) by {by}: {message}")


def check_subscribe(state: IncidentState, by: str) -> None:
    state.check(Action.SUBSCRIBE, by)
    if by in stakeholders(state):
        raise InvalidAction(f"{by} is already told of this incident's status updates")
    if len(state.subscribers) >= budget.MAX_SUBSCRIBERS:
        raise LimitReached(
            f"cannot subscribe: the incident has {len(state.subscribers)} subscribers, the most it keeps"
        )


def subscribe(state: IncidentState, by: str, now: datetime) -> None:
    check_subscribe(state, by)
    state.subscribers.append(by)
    state.record(now, "status.subscribed", f"{by} subscribed to status updates", actor=by)


def update_reminder_due(state: IncidentState, now: datetime) -> datetime | None:
    due = state.next_update_reminder_at()
    return due if due is not None and due <= now else None


def remind_to_update(state: IncidentState, due: datetime, now: datetime) -> None:
    assert state.route is not None and state.priority is not None
    interval = format_duration(state.route.policy.update_every[state.priority])
    leader = state.roles.get(Role.COMMANDER) or state.assignee
    people = [leader] if leader is not None else current_audience(state)
    state.update_reminded_at, state.update_reminders = due, state.update_reminders + 1
    state.record(
        now,
        "status.update_reminder",
        f"no status update for {interval}: reminded {', '.join(people)}",
        due=due.isoformat(),
    )
    queue(
        state,
        f"update-reminder-{state.update_reminders}",
        "update_reminder",
        people,
        f"no status update for {interval}: tell stakeholders where it stands",
    )
