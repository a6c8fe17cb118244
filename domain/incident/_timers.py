"""The passage of time for one incident: what fires when the moment it waited for comes.

The workflow sleeps until ``IncidentState.next_wake`` (or an action), then calls ``advance`` with the time it woke at.
"""

from __future__ import annotations

from datetime import datetime

from domain.durations import format_duration
from domain.incident._actions import resolve
from domain.incident._on_call import waiting_for_on_call
from domain.incident._paging import page_step, record_checkpoints
from domain.incident._pausing import fire_pause_event, pause_event_due
from domain.incident._review import action_reminder_due, remind_owner
from domain.incident._roles import commander_missing_due, page_missing_commander
from domain.incident._state import IncidentState
from domain.incident._updates import remind_to_update, update_reminder_due


def advance(state: IncidentState, now: datetime) -> None:
    """Fire every escalation and SLA checkpoint due at ``now``, in the order they fell due.

    At the same moment the escalation comes first, so the checkpoint's message reaches the new level.
    """
    while True:
        if waiting_for_on_call(state):
            return  # the workflow asks who is on call, records it, and advances again
        pause_due = pause_event_due(state, now)
        escalation_due = state.next_escalation_at()
        if escalation_due is not None and escalation_due > now:
            escalation_due = None
        pending = [p for p in state.pending_sla() if p.at <= now and (pause_due is None or p.at < pause_due)]
        commander_due = commander_missing_due(state, now)
        others = [m for m in (pause_due, escalation_due, *(p.at for p in pending)) if m is not None]
        if commander_due is not None and all(commander_due <= moment for moment in others):
            page_missing_commander(state, commander_due, now)
            continue
        reminder = action_reminder_due(state, now)
        if reminder is not None and all(reminder[1] <= moment for moment in others):
            remind_owner(state, reminder[0], reminder[1], now)
            continue
        update_due = update_reminder_due(state, now)
        if update_due is not None and all(update_due <= moment for moment in others):
            remind_to_update(state, update_due, now)
            continue
        quiet = state.auto_resolve_at()
        if quiet is not None and quiet <= now and all(quiet <= moment for moment in others):
            auto_resolve(state, now)
            return
        if pause_due is not None and not pending:
            fire_pause_event(state, pause_due, now)
            continue
        if escalation_due is not None:
            earlier = [p for p in pending if p.at < escalation_due]
            if earlier:
                record_checkpoints(state, earlier, now)
            else:
                page_step(state, state.escalation_index + 1, now, due=escalation_due, by=None)
            continue
        if pending:
            record_checkpoints(state, pending, now)
            continue
        return


AUTO_RESOLVED_BY = "monitoring:auto-resolve"
AUTO_RESOLVE_TIMEOUT_ROOT_CAUSE = "not recorded: auto-resolved after a quiet period"


def auto_resolve(state: IncidentState, now: datetime) -> None:
    """Nobody acted and no alert fired for the policy's ``auto_resolve_after``: resolved, and recorded as such."""
    assert state.route is not None and state.route.policy.auto_resolve_after is not None
    quiet = format_duration(state.route.policy.auto_resolve_after)
    state.record(now, "incident.auto_resolved", f"no responder activity and no firing alert for {quiet}")
    resolve(state, AUTO_RESOLVED_BY, f"auto-resolved: nobody acted for {quiet}", AUTO_RESOLVE_TIMEOUT_ROOT_CAUSE, now)
