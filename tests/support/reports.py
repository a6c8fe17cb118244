"""Reports and incidents built by hand for the pure domain tests."""

from __future__ import annotations

from collections.abc import Callable

from domain.incident import IncidentState
from domain.models import Category, Impact, IncidentReport, Source, Urgency

OpenIncident = Callable[..., IncidentState]


def make_report(**overrides: object) -> IncidentReport:
    values: dict[str, object] = {
        "title": "Checkout fails",
        "service": "shop-payments",
        "category": Category.APPLICATION_ERROR,
        "source": Source.MONITORING,
        "impact": Impact.ALL_USERS,
        "urgency": Urgency.HIGH,
        "reporter": "monitor",
    }
    values.update(overrides)
    return IncidentReport.model_validate(values)
