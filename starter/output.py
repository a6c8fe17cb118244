"""Rendering for the command line: one status line per action, the status view, the incident table, JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta

from adapters.incident_client import IncidentListing
from domain.durations import format_duration
from domain.messages.actions import ActionResult
from domain.models import as_utc
from domain.views.record import IncidentStatusView, SlaClockView

NONE = "-"


def action_line(result: ActionResult) -> str:
    """``INC-ABCDEF1234 acknowledged P1 assignee=amara level=1``."""
    priority = result.priority.value if result.priority else NONE
    level = NONE if result.escalation_level is None else str(result.escalation_level)
    return f"{result.incident_id} {result.status.value} {priority} assignee={result.assignee or NONE} level={level}"


def action_json(result: ActionResult) -> str:
    return result.model_dump_json(indent=2)


def _duration(seconds: float) -> str:
    return format_duration(timedelta(seconds=round(seconds)))


def _sla_line(view: SlaClockView, now: datetime) -> str:
    left = view.remaining_seconds
    if view.state == "running":
        left = (view.deadline - now).total_seconds()  # the view was computed at the incident's last change
        when = f"{_duration(left)} left" if left >= 0 else f"overdue by {_duration(-left)}"
    elif view.state == "met":
        when = f"met with {_duration(left)} to spare"
    else:
        when = f"breached by {_duration(-left)}" if left < 0 else "breached"
    return f"  {view.clock.value:<12} {view.state:<9} due {as_utc(view.deadline)}  ({when})"


def _escalation_lines(view: IncidentStatusView, now: datetime) -> list[str]:
    step = view.escalation
    if view.escalation_exhausted:
        return [f"escalation:  path {view.escalation_policy} exhausted; waiting for anyone to acknowledge"]
    if step is None:
        return [f"escalation:  {NONE}"]
    where = f"level {step.level}" + (f" (pass {step.loop})" if step.loop > 1 else "")
    lines = [f"escalation:  {where} of {view.escalation_policy}: {', '.join(view.escalation_targets) or NONE}"]
    lines += [f"on call:     {a.schedule}: {a.user or 'nobody'} ({a.decided_by})" for a in view.on_call]
    upcoming = view.next_escalation_at
    if upcoming is not None:
        lines.append(f"next level:  {as_utc(upcoming)} (in {_duration(max(0.0, (upcoming - now).total_seconds()))})")
    else:
        lines.append(f"next level:  {NONE} (only while nobody has acknowledged)")
    return lines


def status_text(view: IncidentStatusView, now: datetime) -> str:
    """The status view for people; ``now`` is only used for 'in 4m30s' and '2m30s left'."""
    priority = view.priority.value if view.priority else "unclassified"
    lines = [
        f"{view.incident_id}  {view.title}",
        f"status:      {view.status.value}",
        f"priority:    {priority}" + (f" — {view.priority_reason}" if view.priority_reason else ""),
        f"service:     {view.service} (team {view.team or NONE})",
        f"assignee:    {view.assignee or NONE}",
        *([f"snoozed:     until {as_utc(view.snoozed_until)}"] if view.snoozed_until else []),
        *([f"maintenance: nothing pages until {as_utc(view.maintenance_until)}"] if view.maintenance_until else []),
        *([f"reopen:      until {as_utc(view.reopen_until)}, then it closes"] if view.reopen_until else []),
        *([f"reopened:    {view.reopens} times"] if view.reopens else []),
        *(
            [f"roles:       {', '.join(f'{role.value} {user}' for role, user in view.roles.items())}"]
            if view.roles
            else []
        ),
        f"opened:      {as_utc(view.opened_at)}",
        *_escalation_lines(view, now),
        "sla:" + (" BREACHED" if view.sla_breached else ""),
    ]
    lines += [_sla_line(clock, now) for clock in view.sla] or [f"  {NONE}"]
    if view.archived:
        lines.append("archived:    closed; Temporal no longer keeps its history, this is its archived record")
    if view.similar:
        lines.append("similar closed incidents:")
        lines += [f"  {s.incident_id}  {as_utc(s.closed_at)}  {s.title}" for s in view.similar]
    lines.append("timeline:")
    kind_width = max((len(entry.kind) for entry in view.timeline), default=0)
    actor_width = max((len(entry.actor or NONE) for entry in view.timeline), default=0)
    lines += [
        f"  {as_utc(entry.at)}  {entry.kind:<{kind_width}}  {entry.actor or NONE:<{actor_width}}  {entry.message}"
        for entry in view.timeline
    ]
    return "\n".join(lines)


def status_json(view: IncidentStatusView) -> str:
    return view.model_dump_json(indent=2)


_COLUMNS = ("ID", "STATUS", "PRIORITY", "SERVICE", "TEAM", "SLA", "STARTED")


def _row(listing: IncidentListing) -> tuple[str, ...]:
    breached = {True: "breached", False: "ok", None: NONE}[listing.sla_breached]
    return (
        listing.incident_id,
        listing.status or NONE,
        listing.priority or NONE,
        listing.service or NONE,
        listing.team or NONE,
        breached,
        as_utc(listing.started_at),
    )


def listings_table(listings: Sequence[IncidentListing]) -> str:
    if not listings:
        return "no incidents"
    rows = [_COLUMNS, *(_row(listing) for listing in listings)]
    widths = [max(len(row[index]) for row in rows) for index in range(len(_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def listings_json(listings: Sequence[IncidentListing]) -> str:
    items = [{**asdict(listing), "started_at": listing.started_at.isoformat()} for listing in listings]
    return json.dumps(items, indent=2)
