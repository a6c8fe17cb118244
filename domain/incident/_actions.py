"""The incident's life and what responders do to it: opening, classification, the first page, acknowledging,
resolving, notes, escalating by hand, reassigning, re-prioritising, a refused signal, closing.

Each function changes the ``IncidentState`` it is given at the time it is given; the state's ``check`` decides
first, so an illegal action raises its ``DomainError`` and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from domain.errors import InvalidAction
from domain.incident._actors import responder_active, taken_over
from domain.incident._paging import page_step, queue
from domain.incident._pausing import end_maintenance_hold, end_snooze
from domain.incident._review import open_review
from domain.incident._state import IncidentState
from domain.incident._transitions import Action, next_status
from domain.models import Priority
from domain.policy.catalog import Route
from domain.policy.priority import PriorityDecision, manual_priority
from domain.policy.sla import Clock, pending_checkpoints


def record_opening(state: IncidentState, now: datetime) -> None:
    report = state.report
    state.record(
        now,
        "incident.opened",
        f"Reported by {report.reporter}"
        + (f" on behalf of {report.on_behalf_of}" if report.on_behalf_of else "")
        + f" via {report.source.value}: {report.title}",
        actor=report.reporter,
        service=report.service,
        category=report.category.value,
        impact=report.impact.value,
        urgency=report.urgency.value,
    )


def classify(state: IncidentState, decision: PriorityDecision, route: Route, now: datetime) -> None:
    state.decision, state.route = decision, route
    state.record(now, "incident.classified", decision.explain(), priority=decision.priority.value)
    state.record(
        now,
        "incident.routed",
        f"{route.reason}; escalation policy {route.policy_id!r}",
        team=route.team,
        policy=route.policy_id,
        known_service=route.known_service,
        **({"rule": route.rule} if route.rule is not None else {}),
    )


def page_first_level(state: IncidentState, now: datetime) -> None:
    """Page level 1; the path's delays count from the incident's opening, not from classification.

    During a maintenance window nobody is paged: the window's end pages level 1 (``end_maintenance``).
    """
    if state.in_maintenance():
        return
    page_step(state, 0, now, due=state.opened_at, by=None)


def acknowledge(state: IncidentState, by: str, now: datetime) -> None:
    state.status = state.check(Action.ACKNOWLEDGE, by)
    taken_over(state, by)
    responder_active(state, by, now)
    end_snooze(state, now, by, f"acknowledged by {by}")
    state.assignee = by
    if state.acknowledged_at is None:
        state.acknowledged_at, state.acknowledged_by = now, by
    state.record(now, "incident.acknowledged", f"acknowledged by {by}", actor=by)


def resolve(state: IncidentState, by: str, summary: str, root_cause: str, now: datetime) -> None:
    state.status = state.check(Action.RESOLVE, by)
    taken_over(state, by)
    end_snooze(state, now, by, f"resolved by {by}")
    state.resolved_at, state.resolved_by = now, by
    state.resolution_summary, state.root_cause = summary, root_cause
    state.record(now, "incident.resolved", f"resolved by {by}: {summary} (root cause: {root_cause})", actor=by)
    open_review(state, now)
    paged = sorted(
        {person for escalation in state.escalations for person in escalation.recipients} | set(state.earlier_recipients)
    )
    if paged:  # nobody to tell when nobody was paged (resolved during a maintenance window)
        step = f"resolved-{len(state.reopens) + 1}" if state.reopens else "resolved"  # each resolution its own page
        queue(state, step, "resolved", paged, f"resolved by {by}: {summary}")


def add_note(state: IncidentState, by: str, text: str, now: datetime) -> None:
    state.check_note(by, text)
    taken_over(state, by)
    responder_active(state, by, now)
    state.record(now, "note.added", text, actor=by)


def escalate(state: IncidentState, by: str, reason: str, now: datetime) -> None:
    state.status = state.check(Action.ESCALATE, by)
    taken_over(state, by)
    end_snooze(state, now, by, f"escalated by {by}")
    end_maintenance_hold(state, now, by)
    state.assignee = None
    state.record(now, "incident.escalated", f"escalated by hand by {by}: {reason}", actor=by)
    page_step(state, state.escalation_index + 1, now, due=now, by=by)


def reassign(state: IncidentState, by: str, to: str, reason: str, now: datetime) -> None:
    state.status = state.check(Action.REASSIGN, by, to=to)
    taken_over(state, by)
    responder_active(state, by, now)
    end_snooze(state, now, by, f"reassigned by {by}")
    state.assignee = to
    state.level_paged_at = now  # the new assignee gets the level's full delay before the path moves on
    state.record(now, "incident.reassigned", f"reassigned to {to} by {by}: {reason}", actor=by, to=to)
    queue(state, f"reassigned-{len(state.timeline)}", "reassigned", [to], f"assigned to you by {by}: {reason}")


def set_priority(state: IncidentState, by: str, priority: Priority, reason: str, now: datetime) -> None:
    state.status = state.check(Action.SET_PRIORITY, by, priority=priority)
    taken_over(state, by)
    responder_active(state, by, now)
    assert state.decision is not None and state.route is not None
    previous = state.decision.priority
    state.decision = manual_priority(state.decision, priority, by, reason)
    # Deadlines are recomputed from the start; checkpoints that now lie ahead are armed again.
    targets = state.route.sla[priority]
    ahead = {p.key for p in pending_checkpoints(targets, state.opened_at, set(Clock), set()) if p.at > now}
    state.sla_fired = [key for key in state.sla_fired if key not in ahead]
    state.record(
        now,
        "priority.changed",
        f"priority {previous.value} → {priority.value} by {by}: {reason}",
        actor=by,
        previous=previous.value,
        priority=priority.value,
    )


def repolicy(state: IncidentState, by: str, route: Route, now: datetime) -> None:
    """Move the incident to ``route``: the current catalog's policy and SLA, recorded with both versions.

    An open incident keeps the policy and SLA it was classified with until then. The escalation path goes on from
    the level it is at (the new path's last level, if it is shorter); SLA deadlines follow the new targets from the
    incident's start, and checkpoints that now lie ahead are armed again.
    """
    state.check(Action.REPOLICY, by)
    old = state.route
    assert old is not None and state.priority is not None
    if (old.catalog_version, old.policy_id) == (route.catalog_version, route.policy_id):
        current = f"policy {route.policy_id!r} of the current catalog ({route.catalog_version})"
        raise InvalidAction(f"cannot move it: it is already on {current}")
    taken_over(state, by)
    responder_active(state, by, now)
    state.route = route
    steps = len(route.policy.levels) * (route.policy.repeat + 1)
    if state.escalation_index >= steps:
        state.escalation_index = steps - 1
    targets = route.sla[state.priority]
    ahead = {
        p.key for p in pending_checkpoints(targets, state.opened_at, set(Clock), set(), state.paused()) if p.at > now
    }
    state.sla_fired = [key for key in state.sla_fired if key not in ahead]
    state.record(
        now,
        "policy.changed",
        f"moved by {by} from policy {old.policy_id!r} of catalog {old.catalog_version} to policy {route.policy_id!r} "
        f"of catalog {route.catalog_version}",
        actor=by,
        previous=old.catalog_version,
        version=route.catalog_version,
        policy=route.policy_id,
    )


def record_rejected(state: IncidentState, action: str, by: str, reason: str, now: datetime) -> None:
    """A signal cannot be refused to its sender, so a refused one is kept on the timeline."""
    state.record(now, "action.rejected", f"{action} by {by} refused: {reason}", actor=by, action=action)


def close_incident(state: IncidentState, now: datetime) -> None:
    state.status = next_status(state.status, Action.CLOSE)
    state.closed_at = now
    state.record(now, "incident.closed", "closed")
