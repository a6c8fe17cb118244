"""Paging an incident: a level of its escalation path, the final owner, SLA checkpoints, and the pages they queue.

Each function changes the ``IncidentState`` it is given and queues pages in its ``outbox``; the workflow sends them
and reports every delivery attempt back (``record_attempt``).
"""

from __future__ import annotations

from datetime import datetime

from domain.incident import budget
from domain.incident._state import IncidentState
from domain.incident._timeline import Delivery, Escalation, Page
from domain.models import as_utc
from domain.policy.catalog import recipients, schedules_of
from domain.policy.escalation import step_at
from domain.policy.schedules import OnCall, OnCallQuestion
from domain.policy.sla import Clock, SlaCheckpoint


def page_step(
    state: IncidentState,
    index: int,
    now: datetime,
    due: datetime,
    by: str | None,
    on_call: list[OnCall] | None = None,
    how: str | None = None,
) -> None:
    """Page level ``index`` (or exhaust the path past its end); a level that targets schedules waits for on-call.

    ``how`` says why on the timeline when it is neither the first page nor an escalation (a reopened incident; a level
    that waits for on-call says how it was paged once it is)."""
    assert state.route is not None
    step = step_at(state.route.policy, index)
    if step is None:
        exhaust(state, now)
        return
    schedules = schedules_of(step.targets)
    if schedules and on_call is None:
        state.awaiting_on_call = OnCallQuestion(index=index, schedules=schedules, due=due, by=by, asked_at=now)
        return
    state.escalation_index, state.level_paged_at = index, due
    people = recipients(step.targets, state.route.team_members, {a.schedule: a.user for a in on_call or []})
    if schedules and not people:
        people = [state.route.policy.final_owner]
        state.record(now, "oncall.final_owner", f"nobody on call for level {step.level}: paging {people[0]}")
    state.escalations.append(
        Escalation(
            index=index,
            loop=step.loop,
            level=step.level,
            recipients=people,
            at=now,
            due=due,
            by=by,
            on_call=on_call or [],
        )
    )
    how = how or (f"escalated by {by}" if by else ("paged" if index == 0 else "escalated: no acknowledgement"))
    where = f"level {step.level}" + (f" (pass {step.loop})" if step.loop > 1 else "")
    state.record(
        now,
        "escalation.level_paged",
        f"{how}; {where}: {', '.join(people)}",
        actor=by,
        index=index,
        level=step.level,
        loop=step.loop,
        due=due.isoformat(),
    )
    paged_before = times_paged(state, index) - 1
    _keep_latest_escalations(state)
    page_name = f"page-{index}" + (f"-{paged_before + 1}" if paged_before else "")  # a level paged again
    queue(state, page_name, "escalation", people, f"{where}: please acknowledge", level=step.level)


def times_paged(state: IncidentState, index: int) -> int:
    kept = sum(1 for escalation in state.escalations if escalation.index == index)
    return kept + state.escalations_compacted.get(index, 0)


def _keep_latest_escalations(state: IncidentState) -> None:
    """Past ``budget.MAX_ESCALATIONS_KEPT``, the oldest are counted per level and their people remembered."""
    excess = len(state.escalations) - budget.MAX_ESCALATIONS_KEPT
    if excess <= 0:
        return
    older, state.escalations = state.escalations[:excess], state.escalations[excess:]
    for escalation in older:
        state.escalations_compacted[escalation.index] = state.escalations_compacted.get(escalation.index, 0) + 1
    state.earlier_recipients = sorted(
        set(state.earlier_recipients) | {person for escalation in older for person in escalation.recipients}
    )


def exhaust(state: IncidentState, now: datetime) -> None:
    assert state.route is not None
    state.exhausted = True
    owner = state.route.policy.final_owner
    state.record(
        now,
        "escalation.exhausted",
        f"escalation path {state.route.policy_id!r} exhausted without acknowledgement; final owner {owner} told",
        final_owner=owner,
    )
    queue(state, "exhausted", "exhausted", [owner], "nobody acknowledged: the escalation path is exhausted")


def record_checkpoints(state: IncidentState, due: list[SlaCheckpoint], now: datetime) -> None:
    worst: dict[Clock, SlaCheckpoint] = {}
    for point in due:
        state.sla_fired.append(point.key)
        kind = "sla.breached" if point.is_breach else "sla.warning"
        what = "breached" if point.is_breach else f"{point.percent}% elapsed"
        state.record(
            now,
            kind,
            f"{point.clock.value} SLA {what} (deadline {as_utc(state.sla_deadline(point.clock) or now)})",
            clock=point.clock.value,
            percent=point.percent,
            due=point.at.isoformat(),
        )
        worst[point.clock] = point
    for point in worst.values():  # one message per clock, for the most severe checkpoint
        kind = "sla_breach" if point.is_breach else "sla_warning"
        what = "BREACHED" if point.is_breach else f"{point.percent}% elapsed"
        people = current_audience(state)
        step = f"sla-{point.clock.value}-{point.percent}"
        held = state.paging_held()
        if held is None:
            queue(state, step, kind, people, f"{point.clock.value} SLA {what}")
        else:
            state.record(now, "page.suppressed", f"{kind} page to {', '.join(people)} suppressed: {held}", step=step)


def current_audience(state: IncidentState) -> list[str]:
    people = list(state.current_recipients)
    if state.assignee is not None and state.assignee not in people:
        people.insert(0, state.assignee)
    return people


def queue(
    state: IncidentState, step: str, kind: str, people: list[str], headline: str, level: int | None = None
) -> None:
    report = state.report
    priority = state.priority.value if state.priority else "P?"
    subject = f"[{priority}] {report.service}: {report.title}"
    ack_due = state.sla_deadline(Clock.ACKNOWLEDGE)
    lines = [headline, f"Incident {state.incident_id} — {report.title}", f"Service: {report.service}"]
    if ack_due is not None and state.clock_stopped_at(Clock.ACKNOWLEDGE) is None:
        lines.append(f"Acknowledge by: {as_utc(ack_due)}")
    resolve_due = state.sla_deadline(Clock.RESOLVE)
    if resolve_due is not None and state.resolved_at is None:
        lines.append(f"Resolve by: {as_utc(resolve_due)}")
    state.outbox.append(
        Page(
            step=step,
            kind=kind,
            recipients=people,
            subject=subject,
            text="\n".join(lines),
            level=level,
            title=report.title,
            acknowledge_by=ack_due if state.clock_stopped_at(Clock.ACKNOWLEDGE) is None else None,
            resolve_by=resolve_due if state.resolved_at is None else None,
        )
    )


def record_attempt(
    state: IncidentState, page: Page, channel: str, attempt: int, outcome: str, detail: str, now: datetime
) -> None:
    state.record(
        now,
        f"notification.{outcome}",
        f"{page.kind} via {channel} to {', '.join(page.recipients) or 'nobody'}: {outcome} "
        f"(attempt {attempt}: {detail})",
        step=page.step,
        channel=channel,
        attempt=attempt,
    )
    if outcome in ("delivered", "failed"):
        state.deliveries.append(
            Delivery(
                step=page.step,
                channel=channel,
                recipients=page.recipients,
                outcome=outcome,
                attempts=attempt,
                detail=detail,
                at=now,
            )
        )
        excess = len(state.deliveries) - budget.MAX_DELIVERIES_KEPT
        if excess > 0:
            state.deliveries = state.deliveries[excess:]
            state.deliveries_compacted += excess
