"""The custom search attributes every incident keeps current. No personal data goes in here."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from temporalio.common import SearchAttributeKey

if TYPE_CHECKING:
    from domain.incident import IncidentState

INCIDENT_STATUS = SearchAttributeKey.for_keyword("IncidentStatus")
INCIDENT_PRIORITY = SearchAttributeKey.for_keyword("IncidentPriority")
INCIDENT_SERVICE = SearchAttributeKey.for_keyword("IncidentService")
INCIDENT_TEAM = SearchAttributeKey.for_keyword("IncidentTeam")
INCIDENT_SLA_BREACHED = SearchAttributeKey.for_bool("IncidentSlaBreached")

ALL = (INCIDENT_STATUS, INCIDENT_PRIORITY, INCIDENT_SERVICE, INCIDENT_TEAM, INCIDENT_SLA_BREACHED)


def values_for(state: IncidentState, now: datetime) -> dict[str, Any]:
    """What the incident's search attributes should say at ``now``, by attribute name."""
    values: dict[str, Any] = {
        INCIDENT_STATUS.name: state.status.value,
        INCIDENT_SERVICE.name: state.report.service,
        INCIDENT_SLA_BREACHED.name: bool(state.breached_clocks(now)),
    }
    if state.priority is not None:
        values[INCIDENT_PRIORITY.name] = state.priority.value
    if state.route is not None:
        values[INCIDENT_TEAM.name] = state.route.team
    return values
