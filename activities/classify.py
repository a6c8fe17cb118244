"""Classify and route a report with the catalog the worker loaded."""

from __future__ import annotations

from temporalio import activity

from adapters.catalog_file import LoadedCatalog
from domain.messages.steps import Classification, ClassifyRequest
from domain.policy.catalog import route_report
from domain.policy.maintenance import active_window
from domain.policy.priority import decide_priority


class ClassifyActivities:
    def __init__(self, catalog: LoadedCatalog, channels: list[str]) -> None:
        self._catalog = catalog
        self._channels = list(channels)

    @activity.defn(name="classify_incident")
    async def classify_incident(self, request: ClassifyRequest) -> Classification:
        report = request.report
        incident_route = route_report(self._catalog.catalog, report, self._catalog.version)
        decision = decide_priority(report.impact, report.urgency, incident_route.criticality, self._catalog.version)
        activity.logger.info(
            "classified %s as %s for team %s", request.incident_id, decision.priority.value, incident_route.team
        )
        windows = self._catalog.catalog.maintenance_windows
        window = active_window(windows, report.service, request.at) if request.at is not None else None
        return Classification(decision=decision, route=incident_route, channels=self._channels, maintenance=window)
