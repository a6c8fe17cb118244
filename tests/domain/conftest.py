"""Fixtures for the pure domain tests: incidents built by hand from the example catalog at explicit times."""

from __future__ import annotations

from datetime import datetime

import pytest

from adapters.catalog_file import LoadedCatalog
from domain.incident import IncidentState, advance, classify, page_first_level, record_opening
from domain.policy.catalog import route
from domain.policy.priority import decide_priority
from tests.support.reports import OpenIncident, make_report


@pytest.fixture
def open_incident(catalog: LoadedCatalog) -> OpenIncident:
    """Open, classify and page the first level of an incident at ``now``; the outbox keeps its pages."""

    def make(now: datetime, **report: object) -> IncidentState:
        incident = make_report(**report)
        found = route(catalog.catalog, incident.service, catalog.version)
        decision = decide_priority(incident.impact, incident.urgency, found.criticality, catalog.version)
        state = IncidentState(incident_id="INC-1", report=incident, opened_at=now)
        record_opening(state, now)
        classify(state, decision, found, now)
        page_first_level(state, now)
        advance(state, now)
        return state

    return make
