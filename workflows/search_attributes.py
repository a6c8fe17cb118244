"""The custom search attributes every incident keeps current. No personal data goes in here."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

INCIDENT_STATUS = SearchAttributeKey.for_keyword("IncidentStatus")
INCIDENT_PRIORITY = SearchAttributeKey.for_keyword("IncidentPriority")
INCIDENT_SERVICE = SearchAttributeKey.for_keyword("IncidentService")
INCIDENT_TEAM = SearchAttributeKey.for_keyword("IncidentTeam")
INCIDENT_SLA_BREACHED = SearchAttributeKey.for_bool("IncidentSlaBreached")

ALL = (INCIDENT_STATUS, INCIDENT_PRIORITY, INCIDENT_SERVICE, INCIDENT_TEAM, INCIDENT_SLA_BREACHED)
