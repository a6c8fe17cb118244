"""The incident's own metrics, counted from the timeline entries each change adds.

``workflow.metric_meter()`` records nothing while the workflow replays, so a worker that rebuilds an incident from
its history (a restart, an evicted cache) does not count its past again. Metric calls add no commands to history.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.incident import TimelineEntry

INCIDENTS_OPENED = "incidents_opened"
INCIDENT_ESCALATIONS = "incident_escalations"
INCIDENT_SLA_WARNINGS = "incident_sla_warnings"
INCIDENT_SLA_BREACHES = "incident_sla_breaches"

_DESCRIPTIONS = {
    INCIDENTS_OPENED: "Incidents classified and paged, by priority",
    INCIDENT_ESCALATIONS: "Escalations past the first level paged, by level reached and by hand or by timer",
    INCIDENT_SLA_WARNINGS: "SLA warning checkpoints reached, by clock",
    INCIDENT_SLA_BREACHES: "SLA deadlines breached, by clock",
}


def counted(entry: TimelineEntry) -> tuple[str, dict[str, str]] | None:
    """The counter a timeline entry adds to, with its attributes; None for entries that are not counted."""
    data = entry.data
    if entry.kind == "incident.classified":
        return INCIDENTS_OPENED, {"priority": str(data["priority"])}
    if entry.kind == "escalation.level_paged" and data["index"] != 0:
        return INCIDENT_ESCALATIONS, {"level": str(data["level"]), "manual": str(entry.actor is not None).lower()}
    if entry.kind == "sla.warning":
        return INCIDENT_SLA_WARNINGS, {"clock": str(data["clock"])}
    if entry.kind == "sla.breached":
        return INCIDENT_SLA_BREACHES, {"clock": str(data["clock"])}
    return None


class IncidentMetrics:
    """Counts the entries added to the timeline since the last call; created with the entries already counted."""

    def __init__(self, seen: int) -> None:
        self._seen = seen

    def record(self, timeline: Sequence[TimelineEntry], total: int) -> None:
        """``total``: the entries ever recorded; the newest are at the end (folding only touches older ones)."""
        fresh, self._seen = total - self._seen, total
        new = timeline[len(timeline) - fresh :] if fresh > 0 else []
        for entry in new:
            found = counted(entry)
            if found is not None:
                name, attributes = found
                workflow.metric_meter().create_counter(name, _DESCRIPTIONS[name]).add(1, attributes)
