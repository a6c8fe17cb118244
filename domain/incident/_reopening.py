"""Resolved is not closed: the reopen window, and reopening within it.

A resolved incident stays open for its policy's ``reopen_window``, then closes. Within the window a responder
reopens it, and so does monitoring when the incident's alert fires again. Reopening undoes the resolution (kept in
``reopens`` and on the timeline), returns the incident to triggered and pages its current level again with a fresh
page, from where the escalation path goes on.

How a reopened incident counts:

- **MTTA** stays the time to the first acknowledgement; the acknowledge clock stays stopped where it stopped (the
  first acknowledgement, or else the first resolution).
- **MTTR** is the time from opening to the last resolution, the resolved spells included: the incident was not
  fixed until then.
- **The resolve SLA clock** pauses while the incident is resolved: its deadline and checkpoints move later by the
  time spent resolved, and its verdict is decided at the last resolution.
"""

from __future__ import annotations

from datetime import datetime

from domain.incident._actors import responder_active, taken_over
from domain.incident._paging import page_step
from domain.incident._state import IncidentState
from domain.incident._timeline import Reopen
from domain.models import Status, as_utc


def open_reopen_window(state: IncidentState, now: datetime) -> None:
    """The incident was resolved: it closes at the end of its policy's reopen window unless reopened before."""
    assert state.route is not None and state.resolved_at is not None
    state.reopen_until = state.resolved_at + state.route.policy.reopen_window
    state.record(
        now,
        "incident.reopen_window",
        f"resolved; closes at {as_utc(state.reopen_until)} unless reopened before",
        until=state.reopen_until.isoformat(),
    )


def can_reopen(state: IncidentState, now: datetime) -> bool:
    return state.status is Status.RESOLVED and state.reopen_until is not None and now < state.reopen_until


def reopen(state: IncidentState, by: str, reason: str, now: datetime) -> None:
    """Undo the resolution: triggered again, the current level paged again, the resolve clock running again."""
    state.status = state.check_reopen(by, now)
    assert state.resolved_at is not None
    taken_over(state, by)
    responder_active(state, by, now)
    state.reopens.append(
        Reopen(at=now, by=by, reason=reason, resolved_at=state.resolved_at, resolved_by=state.resolved_by)
    )
    state.resolved_at = state.resolved_by = state.resolution_summary = state.root_cause = None
    state.reopen_until, state.assignee, state.reminded_at, state.exhausted = None, None, None, False
    index = max(state.escalation_index, 0)
    state.record(now, "incident.reopened", f"reopened by {by}: {reason}", actor=by, reopens=len(state.reopens))
    if state.in_maintenance():
        return  # the window's end pages level 1
    page_step(state, index, now, due=now, by=None, how=f"reopened by {by}")
