"""The passage of time for one incident: when it next needs attention, and what fires when that moment comes.

The workflow sleeps until ``next_wake`` (or an action), then calls ``advance`` with the time it woke at.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain import oncall_paging, pause_rules
from domain.paging import page_step, record_checkpoints

if TYPE_CHECKING:
    from domain.incident import IncidentState


def next_wake(state: IncidentState) -> datetime | None:
    """When the incident next needs attention if nobody acts: an escalation, an SLA checkpoint or a pause event."""
    moments = [m for m in (state.next_escalation_at(), pause_rules.next_pause_event_at(state)) if m is not None]
    pending = state.pending_sla()
    if pending:
        moments.append(pending[0].at)
    return min(moments) if moments else None


def advance(state: IncidentState, now: datetime) -> None:
    """Fire every escalation and SLA checkpoint due at ``now``, in the order they fell due.

    At the same moment the escalation comes first, so the checkpoint's message reaches the new level.
    """
    while True:
        if oncall_paging.waiting_for_on_call(state):
            return  # the workflow asks who is on call, records it, and advances again
        pause_due = pause_rules.pause_event_due(state, now)
        escalation_due = state.next_escalation_at()
        if escalation_due is not None and escalation_due > now:
            escalation_due = None
        pending = [p for p in state.pending_sla() if p.at <= now and (pause_due is None or p.at < pause_due)]
        if pause_due is not None and not pending:
            pause_rules.fire_pause_event(state, pause_due, now)
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
