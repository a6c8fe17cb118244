"""The rules of pauses in paging: acknowledgement-timeout reminders and re-trigger, snoozes, maintenance windows.

Each function reads or changes the ``IncidentState`` it is given; the bounds of a snooze and the ``Snooze`` record
live in ``domain.pauses``. ``IncidentState`` exposes the public ones as methods.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain import budget
from domain.actors import responder_active, taken_over
from domain.durations import format_duration
from domain.errors import InvalidAction
from domain.maintenance import MaintenanceWindow
from domain.models import Status, as_utc
from domain.paging import page_step, queue
from domain.pauses import Snooze, snooze_refusal
from domain.transitions import Action, next_status

if TYPE_CHECKING:
    from domain.incident import IncidentState

# ---- reading ------------------------------------------------------------------------------------


def active_snooze(state: IncidentState) -> Snooze | None:
    last = state.snoozes[-1] if state.snoozes else None
    return last if last is not None and last.ended_at is None else None


def snoozed_until(state: IncidentState) -> datetime | None:
    snooze = active_snooze(state)
    return snooze.until if snooze is not None else None


def in_maintenance(state: IncidentState) -> bool:
    """The incident opened during a maintenance window that has not ended yet."""
    return state.maintenance is not None and state.maintenance_ended_at is None


def paging_held(state: IncidentState) -> str | None:
    """Why nothing pages now (a snooze, a maintenance window), or None."""
    snooze = active_snooze(state)
    if snooze is not None:
        return f"snoozed by {snooze.by} until {as_utc(snooze.until)}"
    if state.maintenance is not None and state.maintenance_ended_at is None:
        return f"maintenance window of {state.maintenance.service} until {as_utc(state.maintenance.end)}"
    return None


def next_reminder_at(state: IncidentState) -> datetime | None:
    """When an acknowledged incident without responder activity is reminded, or returns to triggered."""
    timeout = state.route.policy.acknowledgement if state.route is not None else None
    if timeout is None or state.status is not Status.ACKNOWLEDGED or state.last_activity_at is None:
        return None
    if active_snooze(state) is not None:
        return None  # the snooze's end returns the incident to triggered
    if state.reminded_at is None:
        due = state.last_activity_at + timeout.remind_after
    else:
        due = state.reminded_at + timeout.retrigger_after
    if state.maintenance is not None:  # nothing pages before paging resumes
        due = max(due, state.maintenance_ended_at or state.maintenance.end)
    return due


def next_pause_event_at(state: IncidentState) -> datetime | None:
    """The next reminder, re-trigger, end of a snooze or end of a maintenance window; None without any."""
    if state.status not in (Status.TRIGGERED, Status.ACKNOWLEDGED):
        return None
    window_end = state.maintenance.end if in_maintenance(state) and state.maintenance is not None else None
    moments = [m for m in (snoozed_until(state), window_end, next_reminder_at(state)) if m is not None]
    return min(moments) if moments else None


# ---- the passage of time ------------------------------------------------------------------------


def pause_event_due(state: IncidentState, now: datetime) -> datetime | None:
    due = next_pause_event_at(state)
    return due if due is not None and due <= now else None


def fire_pause_event(state: IncidentState, due: datetime, now: datetime) -> None:
    snooze = active_snooze(state)
    if snooze is not None and snooze.until == due:
        end_snooze(state, now, None, "it ran out")
        retrigger(state, due, now, f"the snooze by {snooze.by} ended")
    elif in_maintenance(state) and state.maintenance is not None and state.maintenance.end == due:
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
    if in_maintenance(state):
        return  # the window's end pages level 1
    page_step(state, max(state.escalation_index, 0), now, due=due, by=None)


# ---- snoozes ------------------------------------------------------------------------------------


def check_snooze(state: IncidentState, by: str, duration: timedelta) -> Status:
    """The status a snooze of ``duration`` leads to, or the DomainError that refuses it."""
    status = state.check(Action.SNOOZE, by)
    if state.route is None:
        raise InvalidAction("cannot snooze: the incident is not classified yet")
    refusal = snooze_refusal(duration, state.route.policy.longest_snooze, state.route.policy_id)
    if refusal is not None:
        raise InvalidAction(refusal)
    return status


def snooze(state: IncidentState, by: str, duration: timedelta, reason: str, now: datetime) -> None:
    """Pause paging until ``now + duration``; a triggered incident is acknowledged by the snoozer."""
    state.status = check_snooze(state, by, duration)
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
    snooze = active_snooze(state)
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
        held = paging_held(state)
        why = held if held is not None else f"acknowledged by {state.assignee}"
        state.record(now, "maintenance.ended", f"the maintenance window ended; nobody paged: {why}")


def end_maintenance_hold(state: IncidentState, now: datetime, by: str) -> None:
    """A manual escalation pages now, so the window no longer holds this incident's pages."""
    if in_maintenance(state):
        state.maintenance_ended_at = now
        state.record(now, "maintenance.ended", f"paging resumed by {by} during the maintenance window", actor=by)
