"""What responders and audit see: the live status view and the closing record (JSON and Markdown)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from domain.durations import format_duration
from domain.incident import (
    ActionItem,
    Delivery,
    Escalation,
    IncidentState,
    Reopen,
    Review,
    StatusUpdate,
    TimelineEntry,
    closure_missing,
    stakeholders,
)
from domain.models import Priority, ReviewSection, Role, Status, as_utc
from domain.policy.escalation import EscalationStep
from domain.policy.schedules import OnCall
from domain.policy.sla import Clock
from domain.policy.snooze import Snooze


class SlaClockView(BaseModel):
    clock: Clock
    deadline: datetime
    state: str
    """running, met or breached."""
    remaining_seconds: float
    """Time left until the deadline (negative once past): at the stop for a stopped clock, else at ``now``.

    In a query ``now`` is the workflow time of the incident's last change, so clients recompute it for a running clock.
    """


def sla_views(state: IncidentState, now: datetime) -> list[SlaClockView]:
    views = []
    for clock in Clock:
        due = state.sla_deadline(clock)
        if due is None:
            continue
        stopped = state.clock_stopped_at(clock)
        measured = stopped or now
        if stopped is None:
            verdict = "breached" if now > due else "running"
        else:
            verdict = "met" if stopped <= due else "breached"
        views.append(
            SlaClockView(clock=clock, deadline=due, state=verdict, remaining_seconds=(due - measured).total_seconds())
        )
    return views


class SimilarIncident(BaseModel):
    """A closed incident like this one: has it happened before, and what was it then?"""

    incident_id: str
    title: str
    priority: Priority | None
    closed_at: datetime


class IncidentStatusView(BaseModel):
    incident_id: str
    title: str
    service: str
    status: Status
    priority: Priority | None
    priority_reason: str | None
    team: str | None
    escalation_policy: str | None
    routing_rule: str | None = None
    assignee: str | None
    escalation: EscalationStep | None
    escalation_targets: list[str]
    escalation_exhausted: bool
    next_escalation_at: datetime | None
    on_call: list[OnCall] = Field(default_factory=list)
    """Who was on call in each schedule the current level targets when it was paged (the record keeps every level's)."""
    snoozed_until: datetime | None = None
    """While a responder's snooze holds every page; the incident returns to triggered then."""
    maintenance_until: datetime | None = None
    """While the maintenance window the incident opened in holds every page."""
    reopen_until: datetime | None = None
    """While resolved: it closes then unless reopened before (its policy's reopen window)."""
    reopens: int = 0
    """Times it was reopened."""
    roles: dict[Role, str] = Field(default_factory=dict)
    """Who is commander, scribe and communications lead now."""
    review: Review | None = None
    actions: list[ActionItem] = Field(default_factory=list)
    closing_needs: list[str] = Field(default_factory=list)
    updates: list[StatusUpdate] = Field(default_factory=list)
    """Status updates to stakeholders, oldest first."""
    stakeholders: list[str] = Field(default_factory=list)
    """Who is told of status updates: the catalog's subscribers for the service and priority, and who subscribed."""
    next_update_due: datetime | None = None
    """When whoever leads it is reminded to post a status update (the policy's ``update_every``)."""
    """While resolved: what keeps it from closing besides its reopen window (the review, open action items)."""
    sla: list[SlaClockView]
    sla_breached: bool
    opened_at: datetime
    timeline: list[TimelineEntry]
    triggers: int = 0
    """Triggers folded into the incident (alerts, events, reports with its key)."""
    reporter: str | None = None
    """Who reported it (over HTTP: the authenticated caller)."""
    on_behalf_of: str | None = None
    """The reporter's own words on whom it reported for."""
    archived: bool = False
    """Answered from the incident archive: the incident is closed and Temporal no longer keeps its history."""
    category: str | None = None
    similar: list[SimilarIncident] = Field(default_factory=list)
    """Closed incidents of the same service and category, most recent first (from the archive, by the edges)."""


def _current_on_call(state: IncidentState) -> list[OnCall]:
    latest = state.escalations[-1] if state.escalations else None
    return list(latest.on_call) if latest is not None and latest.index == state.escalation_index else []


def status_view(state: IncidentState, now: datetime) -> IncidentStatusView:
    sla = sla_views(state, now)
    return IncidentStatusView(
        incident_id=state.incident_id,
        title=state.report.title,
        service=state.report.service,
        status=state.status,
        priority=state.priority,
        priority_reason=state.decision.explain() if state.decision else None,
        team=state.route.team if state.route else None,
        escalation_policy=state.route.policy_id if state.route else None,
        routing_rule=state.route.rule if state.route else None,
        assignee=state.assignee,
        escalation=state.current_step,
        escalation_targets=state.current_recipients,
        escalation_exhausted=state.exhausted,
        next_escalation_at=state.next_escalation_at(),
        on_call=_current_on_call(state),
        snoozed_until=state.snoozed_until,
        maintenance_until=state.maintenance.end if state.in_maintenance() and state.maintenance else None,
        reopen_until=state.reopen_until if state.status is Status.RESOLVED else None,
        reopens=len(state.reopens),
        roles=dict(state.roles),
        review=state.review,
        actions=list(state.actions),
        closing_needs=closure_missing(state) if state.status is Status.RESOLVED else [],
        updates=list(state.updates),
        stakeholders=stakeholders(state),
        next_update_due=state.next_update_reminder_at(),
        sla=sla,
        sla_breached=any(view.state == "breached" for view in sla),
        opened_at=state.opened_at,
        timeline=list(state.timeline),
        triggers=state.triggers,
        category=state.report.category.value,
        reporter=state.report.reporter,
        on_behalf_of=state.report.on_behalf_of,
    )


class IncidentRecord(BaseModel):
    """The document of a closed incident; the workflow's result and the JSON written for machines."""

    incident_id: str
    title: str
    description: str
    service: str
    category: str
    source: str
    reporter: str
    on_behalf_of: str | None = None
    """The reporter's own words on whom it reported for (``IncidentReport.on_behalf_of``)."""
    labels: dict[str, str]
    team: str | None
    escalation_policy: str | None
    routing_rule: str | None = None
    priority: Priority | None
    priority_reason: str | None
    opened_at: datetime
    occurred_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    closed_at: datetime | None
    mtta_seconds: float | None
    mttr_seconds: float | None
    sla: list[SlaClockView]
    sla_breached: bool
    escalations: list[Escalation]
    escalation_exhausted: bool
    notifications: list[Delivery]
    snoozes: list[Snooze] = []
    """Every snooze: who, from when, until when, and who ended it early."""
    reopens: list[Reopen] = []
    """Every reopening: who, when, why, and the resolution it undid (MTTR counts to the last resolution)."""
    roles: dict[Role, str] = {}
    """Who held each role at the end (each assignment and hand-over is on the timeline)."""
    review: Review | None = None
    """The post-incident review, for the priorities whose policy requires one."""
    actions: list[ActionItem] = []
    updates: list[StatusUpdate] = []
    """Every status update, and who it was sent to."""
    resolution_summary: str | None
    root_cause: str | None
    timeline: list[TimelineEntry]
    triggers: int = 0
    timeline_entries: int | None = None
    """Entries ever recorded; more than the timeline holds once older routine entries were folded (the size budget)."""
    escalations_folded: int = 0
    """Escalations older than the ones listed, counted only (the size budget); likewise notifications and snoozes."""
    notifications_folded: int = 0
    snoozes_folded: int = 0


def _root_cause(state: IncidentState) -> str | None:
    """The review's root cause once written (it replaces a placeholder such as ``not recorded: …``), else the
    resolver's."""
    written = state.review.sections.get(ReviewSection.ROOT_CAUSE) if state.review is not None else None
    return written or state.root_cause


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if end is not None else None


def build_record(state: IncidentState, now: datetime) -> IncidentRecord:
    report = state.report
    sla = sla_views(state, now)
    return IncidentRecord(
        incident_id=state.incident_id,
        title=report.title,
        description=report.description,
        service=report.service,
        category=report.category.value,
        source=report.source.value,
        reporter=report.reporter,
        on_behalf_of=report.on_behalf_of,
        labels=dict(report.labels),
        team=state.route.team if state.route else None,
        escalation_policy=state.route.policy_id if state.route else None,
        routing_rule=state.route.rule if state.route else None,
        priority=state.priority,
        priority_reason=state.decision.explain() if state.decision else None,
        opened_at=state.opened_at,
        occurred_at=report.occurred_at,
        acknowledged_at=state.acknowledged_at,
        acknowledged_by=state.acknowledged_by,
        resolved_at=state.resolved_at,
        resolved_by=state.resolved_by,
        closed_at=state.closed_at,
        mtta_seconds=_seconds(state.opened_at, state.acknowledged_at),
        mttr_seconds=_seconds(state.opened_at, state.resolved_at),
        sla=sla,
        sla_breached=any(view.state == "breached" for view in sla),
        escalations=list(state.escalations),
        escalation_exhausted=state.exhausted,
        notifications=list(state.deliveries),
        snoozes=list(state.snoozes),
        reopens=list(state.reopens),
        roles=dict(state.roles),
        review=state.review,
        actions=list(state.actions),
        updates=list(state.updates),
        resolution_summary=state.resolution_summary,
        root_cause=_root_cause(state),
        timeline=list(state.timeline),
        triggers=state.triggers,
        timeline_entries=state.timeline_total or len(state.timeline),
        escalations_folded=sum(state.escalations_compacted.values()),
        notifications_folded=state.deliveries_compacted,
        snoozes_folded=state.snoozes_compacted,
    )


def _paged_when(escalation: Escalation) -> str:
    """When it was paged, and when it fell due if that was earlier (a worker's failover delayed it)."""
    late = escalation.at - escalation.due >= timedelta(seconds=1)
    return _when(escalation.at) + (f" (due {_when(escalation.due)})" if late else "")


def _when(moment: datetime | None) -> str:
    return as_utc(moment) if moment is not None else "—"


def _took(seconds: float | None) -> str:
    return format_duration(timedelta(seconds=round(seconds))) if seconds is not None else "—"


def _people(escalation: Escalation) -> str:
    """``amara (on call: payments-primary → amara, layer weekly)``; just the people for a level without schedules."""
    people = ", ".join(escalation.recipients)
    found = [f"{a.schedule} → {a.user or 'nobody'}, {a.decided_by}" for a in escalation.on_call]
    return f"{people} (on call: {'; '.join(found)})" if found else people


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _roles(record: IncidentRecord) -> list[str]:
    held = [f"{role.value} {record.roles[role]}" for role in Role if role in record.roles]
    return [f"- **Roles:** {', '.join(held)}"] if held else []


def _review(record: IncidentRecord) -> list[str]:
    review = record.review
    if review is None:
        return []
    done = (
        f"completed {_when(review.completed_at)} by {review.completed_by}" if review.completed_at else "not completed"
    )
    lines = ["## Post-incident review", "", f"Opened {_when(review.opened_at)}; {done}.", ""]
    for section in ReviewSection:
        text = review.sections.get(section)
        required = " (required)" if section in review.required else ""
        lines += [f"### {section.value.replace('_', ' ').capitalize()}{required}", "", text or "—", ""]
    return lines


def _actions(record: IncidentRecord) -> list[str]:
    if not record.actions:
        return []
    lines = ["## Action items", "", "| # | Owner | Due | State | What |", "|---|---|---|---|---|"]
    for item in record.actions:
        state = item.state + (f" {_when(item.closed_at)} by {item.closed_by}" if item.closed_at else "")
        state += f": {_cell(item.reason)}" if item.reason else ""
        lines.append(f"| {item.number} | {item.owner} | {_when(item.due)} | {state} | {_cell(item.text)} |")
    return [*lines, ""]


def _updates(record: IncidentRecord) -> list[str]:
    if not record.updates:
        return []
    lines = ["## Status updates", "", "| When | By | State | Update | Told |", "|---|---|---|---|---|"]
    lines += [
        f"| {_when(u.at)} | {u.by} | {u.state.value} | {_cell(u.message)} | {', '.join(u.told) or '—'} |"
        for u in record.updates
    ]
    return [*lines, ""]


def _reopened(record: IncidentRecord) -> list[str]:
    if not record.reopens:
        return []
    lines = ["## Reopened", "", "| When | By | Why | Resolution undone |", "|---|---|---|---|"]
    lines += [
        f"| {_when(r.at)} | {r.by} | {_cell(r.reason)} | {_when(r.resolved_at)} by {r.resolved_by or '—'} |"
        for r in record.reopens
    ]
    return [*lines, ""]


def render_markdown(record: IncidentRecord) -> str:
    """The record for people: same input, same text, byte for byte."""
    priority = f"{record.priority.value} {record.priority.label}" if record.priority else "unclassified"
    lines = [
        f"# {record.incident_id}: {record.title}",
        "",
        f"- **Priority:** {priority}",
        f"- **Why:** {record.priority_reason or '—'}",
        f"- **Service:** {record.service} (team {record.team or '—'}, policy {record.escalation_policy or '—'})"
        + (f", routed by rule {record.routing_rule!r}" if record.routing_rule else ""),
        f"- **Category / source:** {record.category} / {record.source}, reported by {record.reporter}"
        + (f" on behalf of {record.on_behalf_of}" if record.on_behalf_of else ""),
        f"- **Opened:** {_when(record.opened_at)}",
        f"- **Acknowledged:** {_when(record.acknowledged_at)} by {record.acknowledged_by or '—'}"
        f" (MTTA {_took(record.mtta_seconds)})",
        f"- **Resolved:** {_when(record.resolved_at)} by {record.resolved_by or '—'}"
        f" (MTTR {_took(record.mttr_seconds)})",
        f"- **Closed:** {_when(record.closed_at)}",
        *_roles(record),
        "",
        "## Resolution",
        "",
        f"**Summary:** {record.resolution_summary or '—'}",
        "",
        f"**Root cause:** {record.root_cause or '—'}",
        "",
        *_reopened(record),
        *_review(record),
        *_actions(record),
        *_updates(record),
        "## SLA",
        "",
        "| Clock | Deadline | Outcome |",
        "|---|---|---|",
    ]
    lines += [f"| {view.clock.value} | {_when(view.deadline)} | {view.state} |" for view in record.sla]
    lines += ["", "## Escalations", ""]
    if record.escalations:
        lines += ["| When | Level | Pass | People | By |", "|---|---|---|---|---|"]
        lines += [
            f"| {_paged_when(e)} | {e.level} | {e.loop} | {_people(e)} | {e.by or 'timer'} |"
            for e in record.escalations
        ]
    if record.escalation_exhausted:
        lines.append("")
        lines.append("The escalation path was exhausted without an acknowledgement.")
    if record.snoozes:
        lines += ["", "## Snoozes", "", "| From | Until | By | Ended early by |", "|---|---|---|---|"]
        lines += [f"| {_when(z.at)} | {_when(z.until)} | {z.by} | {z.ended_by or '—'} |" for z in record.snoozes]
    lines += ["", "## Notifications", ""]
    if record.notifications:
        lines += ["| When | Step | Channel | People | Outcome | Attempts |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {_when(n.at)} | {n.step} | {n.channel} | {', '.join(n.recipients)} | {n.outcome} | {n.attempts} |"
            for n in record.notifications
        ]
    folded = [
        (record.escalations_folded, "escalations"),
        (record.notifications_folded, "notifications"),
        (record.snoozes_folded, "snoozes"),
        ((record.timeline_entries or 0) - len(record.timeline), "timeline entries"),
    ]
    if any(count > 0 for count, _ in folded):
        counts = ", ".join(f"{count} {what}" for count, what in folded if count > 0)
        lines += ["", f"Kept within the incident's size budget: {counts} folded into counts (older ones first)."]
    lines += ["", "## Timeline", "", "| When | What | Who | Details |", "|---|---|---|---|"]
    lines += [
        f"| {_when(entry.at)} | {entry.kind} | {entry.actor or '—'} | {_cell(entry.message)} |"
        for entry in record.timeline
    ]
    return "\n".join(lines) + "\n"


def describe(state: IncidentState, now: datetime) -> str:
    """One line for the Temporal UI's current details: what the incident waits for, and until when."""
    priority = state.priority.value if state.priority else "unclassified"
    parts = [f"{priority} · {state.status.value}"]
    if state.status is Status.TRIGGERED:
        step = state.current_step
        if state.exhausted:
            parts.append("escalation path exhausted; waiting for anyone to acknowledge")
        elif step is not None:
            who = ", ".join(dict.fromkeys(([state.assignee] if state.assignee else []) + state.current_recipients))
            parts.append(f"waiting for ack from level {step.level} ({who})")
            upcoming = state.next_escalation_at()
            if upcoming is not None:
                parts.append(f"next escalation at {as_utc(upcoming)}")
    elif state.status is Status.ACKNOWLEDGED:
        parts.append(f"acknowledged by {state.assignee}")
    elif state.status is Status.RESOLVED:
        if state.review is not None and state.review.completed_at is None:
            parts.append("in review")
        open_items = sum(1 for item in state.actions if item.state == "open")
        if open_items:
            parts.append(f"{open_items} action item{'s' if open_items > 1 else ''} open")
        if state.reopen_until is not None and now < state.reopen_until:
            parts.append(f"reopens until {as_utc(state.reopen_until)}")
    reminders = [m for m in (state.next_update_reminder_at(), _next_item_reminder(state)) if m is not None]
    if reminders:
        parts.append(f"next reminder at {as_utc(min(reminders))}")
    if state.snoozed_until is not None:
        parts.append(f"snoozed until {as_utc(state.snoozed_until)}")
    elif state.in_maintenance() and state.maintenance is not None:
        parts.append(f"maintenance window: nothing pages until {as_utc(state.maintenance.end)}")
    for view in sla_views(state, now):
        if view.state == "running":
            parts.append(f"{view.clock.value} SLA breaches at {as_utc(view.deadline)}")
        elif view.state == "breached" and state.clock_stopped_at(view.clock) is None:
            parts.append(f"{view.clock.value} SLA BREACHED at {as_utc(view.deadline)}")
    return " — ".join(parts)


def _next_item_reminder(state: IncidentState) -> datetime | None:
    found = state.next_action_reminder()
    return found[1] if found is not None else None


def status_from_record(record: IncidentRecord) -> IncidentStatusView:
    """A closed incident's status view, from its archived record (its Temporal history is gone)."""
    return IncidentStatusView(
        incident_id=record.incident_id,
        title=record.title,
        service=record.service,
        status=Status.CLOSED,
        priority=record.priority,
        priority_reason=record.priority_reason,
        team=record.team,
        escalation_policy=record.escalation_policy,
        routing_rule=record.routing_rule,
        assignee=record.resolved_by,
        escalation=None,
        escalation_targets=[],
        escalation_exhausted=record.escalation_exhausted,
        next_escalation_at=None,
        sla=list(record.sla),
        sla_breached=record.sla_breached,
        opened_at=record.opened_at,
        timeline=list(record.timeline),
        triggers=record.triggers,
        reporter=record.reporter,
        on_behalf_of=record.on_behalf_of,
        archived=True,
        category=record.category,
    )
