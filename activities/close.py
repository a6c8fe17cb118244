"""Close the incident: compute its final record (MTTA, MTTR, SLA verdicts) from the closed state.

Built in an activity so its result is kept in history: the record of an incident never changes when the
code that builds records does.
"""

from __future__ import annotations

from temporalio import activity

from domain.messages.steps import CloseRequest
from domain.views.record import IncidentRecord, build_record


@activity.defn(name="close_incident")
async def close_incident(request: CloseRequest) -> IncidentRecord:
    record = build_record(request.state, request.closed_at)
    activity.logger.info(
        "closed %s: %s, MTTA %ss, MTTR %ss, SLA breached: %s",
        record.incident_id,
        record.priority,
        record.mtta_seconds,
        record.mttr_seconds,
        record.sla_breached,
    )
    return record
