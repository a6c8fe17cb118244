"""Folding repeated triggers (alerts, events, reports with a dedup key) into the open incident.

A storm of duplicates changes a count, a time and the latest payload, and nothing else: no timeline entry, no page.
What changes the picture goes on the timeline: the first trigger, an alert that starts or stops firing, and the
automatic resolution when every alert of a monitoring group is resolved (unless a person has taken over).
"""

from __future__ import annotations

from datetime import datetime

from domain.errors import IllegalTransition
from domain.incident import SYSTEM_ACTOR_PREFIX, IncidentState
from domain.models import Status
from domain.requests import TriggerRequest

AUTO_RESOLVE_ROOT_CAUSE = "not recorded: resolved by monitoring"


def check_trigger(state: IncidentState) -> None:
    """A resolved incident takes no more triggers: the next one opens a new incident."""
    if state.status in (Status.RESOLVED, Status.CLOSED):
        raise IllegalTransition(f"the incident is already {state.status.value}; a new trigger opens a new incident")


def fold_trigger(state: IncidentState, trigger: TriggerRequest, now: datetime) -> None:
    check_trigger(state)
    state.triggers += 1
    state.last_trigger_at = now
    state.latest_payload = dict(trigger.payload)
    if state.triggers == 1:
        state.record(
            now,
            "trigger.received",
            f"{trigger.source}: {trigger.summary}",
            source=trigger.source,
        )
    for alert in trigger.alerts:
        before = state.alerts.get(alert.fingerprint)
        if before == alert.firing:
            continue
        state.alerts[alert.fingerprint] = alert.firing
        if alert.firing:
            state.record(now, "alert.firing", f"alert {alert.fingerprint} firing", fingerprint=alert.fingerprint)
        elif before is not None or state.triggers > 1:
            state.record(now, "alert.resolved", f"alert {alert.fingerprint} resolved", fingerprint=alert.fingerprint)
    if trigger.auto_resolve and _all_resolved(state) and state.taken_over_by is None:
        state.resolve(
            f"{SYSTEM_ACTOR_PREFIX}{trigger.integration or trigger.source}",
            f"every alert of the group resolved ({len(state.alerts)} alerts)",
            AUTO_RESOLVE_ROOT_CAUSE,
            now,
        )


def _all_resolved(state: IncidentState) -> bool:
    return bool(state.alerts) and not any(state.alerts.values())
