"""The sample report every layer's tests start from (payments failing for all users of the shop), and reports built
by hand for the pure domain tests."""

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


PAYMENTS = IncidentReport(
    title="Payments failing for all users",
    description="Checkout returns 502 for every card payment.",
    service="shop-payments",
    category=Category.APPLICATION_ERROR,
    source=Source.MONITORING,
    impact=Impact.ALL_USERS,
    urgency=Urgency.HIGH,
    reporter="checkout-monitor",
)
