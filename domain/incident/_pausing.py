"""The rules of pauses in paging: acknowledgement-timeout reminders and re-trigger, snoozes, maintenance windows.

Each function changes the ``IncidentState`` it is given; the state answers what is paused and until when, and the
bounds of a snooze and the ``Snooze`` record live in ``domain.policy.snooze``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.durations import format_duration
from domain.incident import budget
from domain.incident._actors import responder_active, taken_over
from domain.incident._paging import page_step, queue
from domain.incident._state import IncidentState
from domain.incident._transitions import Action, next_status
from domain.models import Status, as_utc
from domain.policy.maintenance import MaintenanceWindow
from domain.policy.snooze import Snooze

# ---- the passage of time ------------------------------------------------------------------------


def pause_event_due(state: IncidentState, now: datetime) -> datetime | None:
    due = state.next_pause_event_at()
    return due if due is not None and due <= now else None


def fire_pause_event(state: IncidentState, due: datetime, now: datetime) -> None:
    snooze = state.active_snooze
    if snooze is not None and snooze.until == due:
        end_snooze(state, now, None, "it ran out")
        retrigger(state, due, now, f"the snooze by {snooze.by} ended")
    elif state.in_maintenance() and state.maintenance is not None and state.maintenance.end == due:
        end_maintenance(state, due, now)
    elif state.reminded_at is None:
        remind(state, due, now)
    else:
        quiet = format_duration(due - (state.last_activity_at or due))
        retrigger(state, due, now, f"acknowledged by {state.assignee} without activity for {quiet}")


def remind(state: IncidentState, due: datetime, now: datetime) -> None:
    assert state.route is not None and state.route.policy.acknowledgement is not None
    state.reminded_at, state.reminders = due, state.reminders + 1
    who = state.assignee or state.acknowledged_by or state.route.policy.final_owner
    quiet = format_duration(due - (state.last_activity_at or due))
    retrigger_at = as_utc(due + state.route.policy.acknowledgement.retrigger_after)
    state.record(
        now,
        "acknowledgement.reminder",
        f"acknowledged, no activity for {quiet}: reminded {who}; returns to triggered at {retrigger_at} "
        "unless a responder acts",
        to=who,
        due=due.isoformat(),
    )
    step = state.current_step
    queue(
        state,
        f"reminder-{state.reminders}",
        "reminder",
        [who],
        f"still acknowledged, no update for {quiet}: add a note or resolve it, or it is paged again at {retrigger_at}",
        level=step.level if step is not None else None,
    )


def retrigger(state: IncidentState, due: datetime, now: datetime, why: str) -> None:
    """Back to triggered, performed by the system: the current level is paged again and escalation resumes."""
    state.status = next_status(state.status, Action.RETRIGGER)
    state.assignee, state.reminded_at = None, None
    state.record(now, "incident.retriggered", f"returned to triggered: {why}", due=due.isoformat())
    if state.in_maintenance():
        return  # the window's end pages level 1
    page_step(state, max(state.escalation_index, 0), now, due=due, by=None)


# ---- snoozes ------------------------------------------------------------------------------------


def snooze(state: IncidentState, by: str, duration: timedelta, reason: str, now: datetime) -> None:
    """Pause paging until ``now + duration``; a triggered incident is acknowledged by the snoozer."""
    state.status = state.check_snooze(by, duration)
    taken_over(state, by)
    responder_active(state, by, now)
    end_snooze(state, now, by, f"snoozed again by {by}")
    if state.assignee is None:
        state.assignee = by
    if state.acknowledged_at is None:
        state.acknowledged_at, state.acknowledged_by = now, by
    until = now + duration
    state.snoozes.append(Snooze(by=by, at=now, until=until, reason=reason))
    excess = len(state.snoozes) - budget.MAX_SNOOZES_KEPT
    if excess > 0:
        state.snoozes = state.snoozes[excess:]
        state.snoozes_compacted += excess
    state.record(
        now,
        "incident.snoozed",
        f"snoozed by {by} for {format_duration(duration)}, until {as_utc(until)}: {reason}",
        actor=by,
        until=until.isoformat(),
    )


def end_snooze(state: IncidentState, now: datetime, by: str | None, why: str) -> None:
    snooze = state.active_snooze
    if snooze is None:
        return
    state.snoozes[-1] = snooze.model_copy(update={"ended_at": now, "ended_by": by})
    state.record(now, "snooze.ended", f"the snooze by {snooze.by} ended: {why}", actor=by)


# ---- maintenance windows ------------------------------------------------------------------------


def hold_for_maintenance(state: IncidentState, window: MaintenanceWindow, now: datetime) -> None:
    """The incident opened during ``window``: it is recorded as usual, but pages nobody until the window ends."""
    state.maintenance = window
    state.record(
        now,
        "maintenance.paging_held",
        f"opened during the maintenance window of {window.service} ({window.reason}), "
        f"{as_utc(window.start)} to {as_utc(window.end)}: nobody is paged before it ends",
        service=window.service,
        end=window.end.isoformat(),
    )


def end_maintenance(state: IncidentState, due: datetime, now: datetime) -> None:
    assert state.maintenance is not None
    state.maintenance_ended_at = due
    if state.status is Status.TRIGGERED:
        state.record(now, "maintenance.ended", "the maintenance window ended: paging level 1", due=due.isoformat())
        page_step(state, 0, now, due=due, by=None)
    else:
        held = state.paging_held()
        why = held if held is not None else f"acknowledged by {state.assignee}"
        state.record(now, "maintenance.ended", f"the maintenance window ended; nobody paged: {why}")


def end_maintenance_hold(state: IncidentState, now: datetime, by: str) -> None:
    """A manual escalation pages now, so the window no longer holds this incident's pages."""
    if state.in_maintenance():
        state.maintenance_ended_at = now
        state.record(now, "maintenance.ended", f"paging resumed by {by} during the maintenance window", actor=by)
