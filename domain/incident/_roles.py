"""Roles around an incident: a commander who leads it, a scribe who keeps its notes, a communications lead who tells
stakeholders. Each role has one holder at a time; giving it to someone else is a hand-over, recorded with both names.

A policy can require a commander (``CommanderRule``): when an incident of one of its priorities has none
``within`` its opening, the rule's targets are paged once to take the role.
"""

from __future__ import annotations

from datetime import datetime

from domain.durations import format_duration
from domain.incident._actors import responder_active, taken_over
from domain.incident._paging import queue
from domain.incident._state import IncidentState
from domain.models import Role
from domain.policy.catalog import recipients


def assign_role(state: IncidentState, by: str, role: Role, user: str, now: datetime) -> None:
    state.status = state.check_role(by, role, user)
    taken_over(state, by)
    responder_active(state, by, now)
    previous = state.roles.get(role)
    state.roles[role] = user
    if previous is None:
        message = f"{user} is the {role.value} (assigned by {by})"
    else:
        message = f"{role.value} handed over from {previous} to {user} by {by}"
    state.record(now, "role.assigned", message, actor=by, role=role.value, user=user, previous=previous)
    if user != by:
        step = f"role-{role.value}-{state.timeline_total}"
        queue(state, step, "role", [user], f"you are the {role.value} of this incident (assigned by {by})")


def commander_missing_due(state: IncidentState, now: datetime) -> datetime | None:
    due = state.commander_due()
    return due if due is not None and due <= now else None


def page_missing_commander(state: IncidentState, due: datetime, now: datetime) -> None:
    """Nobody took the commander role in time: page the policy's commander targets, once."""
    assert state.route is not None and state.route.policy.commander is not None
    rule = state.route.policy.commander
    people = recipients(rule.targets, state.route.team_members)
    state.commander_paged_at = now
    state.record(
        now,
        "role.commander_missing",
        f"no incident commander {format_duration(rule.within)} after opening: paging {', '.join(people)}",
        due=due.isoformat(),
    )
    held = state.paging_held()
    if held is not None:
        state.record(now, "page.suppressed", f"commander page to {', '.join(people)} suppressed: {held}")
        return
    queue(
        state,
        "commander-needed",
        "commander_needed",
        people,
        f"no incident commander yet: take the role (incidents role {state.incident_id} commander <you>)",
    )
