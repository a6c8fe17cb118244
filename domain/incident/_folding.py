"""Folding repeated triggers (alerts, events, reports with a dedup key) into the open incident.

A storm of duplicates changes a count, a time and the latest payload, and nothing else: no timeline entry, no page.
What changes the picture goes on the timeline: the first trigger, an alert that starts or stops firing, and the
automatic resolution when every alert of a monitoring group is resolved (unless a person has taken over).
"""

from __future__ import annotations

from datetime import datetime

from domain.errors import IllegalTransition
from domain.incident import budget
from domain.incident._actions import resolve
from domain.incident._reopening import can_reopen, reopen
from domain.incident._state import SYSTEM_ACTOR_PREFIX, IncidentState
from domain.messages.actions import TriggerRequest
from domain.models import Status

AUTO_RESOLVE_ROOT_CAUSE = "not recorded: resolved by monitoring"


def only_resolves(trigger: TriggerRequest) -> bool:
    """A trigger whose alerts are all resolved (an Alertmanager group's "resolved" notification) only says something
    stopped: it may resolve the open incident for its key, and never opens one."""
    return bool(trigger.alerts) and not any(alert.firing for alert in trigger.alerts)


def check_trigger(state: IncidentState, now: datetime | None = None, firing: bool = False) -> None:
    """A resolved incident takes no more triggers: the next one opens a new incident. Within its reopen window a
    ``firing`` trigger (not one that only resolves alerts) reopens it instead."""
    if state.status is Status.RESOLVED and firing and now is not None and can_reopen(state, now):
        return
    if state.status in (Status.RESOLVED, Status.CLOSED):
        raise IllegalTransition(f"the incident is already {state.status.value}; a new trigger opens a new incident")


def reopen_by_trigger(state: IncidentState, trigger: TriggerRequest, now: datetime) -> bool:
    """A firing trigger for a resolved incident within its reopen window reopens it (as monitoring); True if so."""
    if only_resolves(trigger) or not can_reopen(state, now):
        return False
    reason = f"{trigger.source} fired again: {trigger.summary}"
    reopen(state, f"{SYSTEM_ACTOR_PREFIX}{trigger.integration or trigger.source}", reason, now)
    return True


def fold_trigger(state: IncidentState, trigger: TriggerRequest, now: datetime) -> None:
    check_trigger(state)
    state.triggers += 1
    state.last_trigger_at = now
    state.latest_payload = dict(trigger.payload)  # already within its bound (``TriggerRequest``)
    if state.triggers == 1:
        state.record(
            now,
            "trigger.received",
            f"{trigger.source}: {trigger.summary}",
            source=trigger.source,
        )
    _fold_alerts(state, trigger, now)
    resolved = _all_resolved(state) and (state.untracked_alerts == 0 or only_resolves(trigger))
    if trigger.auto_resolve and resolved and state.taken_over_by is None:
        counted = f"{len(state.alerts)} alerts"
        if state.untracked_alerts:
            counted += f" tracked one by one, {state.untracked_alerts} reports of further alerts counted"
        resolve(
            state,
            f"{SYSTEM_ACTOR_PREFIX}{trigger.integration or trigger.source}",
            f"every alert of the group resolved ({counted})",
            AUTO_RESOLVE_ROOT_CAUSE,
            now,
        )


def _fold_alerts(state: IncidentState, trigger: TriggerRequest, now: datetime) -> None:
    """Track each alert's state; past the size budget's bounds, count alerts and summarise changes (``budget``)."""
    started = stopped = 0
    for alert in trigger.alerts:
        key = budget.alert_key(alert.fingerprint)
        before = state.alerts.get(key)
        if before is None and len(state.alerts) >= budget.MAX_TRACKED_ALERTS:
            state.untracked_alerts += 1
            continue
        if before == alert.firing:
            continue
        state.alerts[key] = alert.firing
        if not alert.firing and before is None and state.triggers == 1:
            continue  # resolved in the very notification that opened the incident: nothing changed
        if state.alert_entries >= budget.MAX_ALERT_ENTRIES:
            started, stopped = started + alert.firing, stopped + (not alert.firing)
            continue
        state.alert_entries += 1
        if alert.firing:
            state.record(now, "alert.firing", f"alert {key} firing", fingerprint=key)
        else:
            state.record(now, "alert.resolved", f"alert {key} resolved", fingerprint=key)
    if started or stopped:
        firing = sum(1 for still in state.alerts.values() if still)
        untracked = f"; {state.untracked_alerts} alert states past the first {budget.MAX_TRACKED_ALERTS} alerts "
        state.record(
            now,
            "alerts.changed",
            f"{started} alerts started firing, {stopped} resolved; {firing} of {len(state.alerts)} tracked alerts "
            f"firing" + (untracked + "counted, not tracked" if state.untracked_alerts else ""),
            started=started,
            resolved=stopped,
            firing=firing,
            tracked=len(state.alerts),
            untracked=state.untracked_alerts,
        )


def _all_resolved(state: IncidentState) -> bool:
    return bool(state.alerts) and not any(state.alerts.values())
