"""Shared by the tests of pauses in paging: incidents opened at explicit times, read back as minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from domain.incident import IncidentState, advance, classify, hold_for_maintenance, page_first_level, record_opening
from domain.policy.catalog import Catalog, route
from domain.policy.maintenance import MaintenanceWindow
from domain.policy.priority import decide_priority
from tests.support.reports import make_report
from tests.support.settings import EXAMPLE_CATALOG

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def payments_catalog(**policy: Any) -> Catalog:
    """The example catalog; payments-critical (L1 amara 5m, L2 amara+bruno 10m, L3 chen+kofi 15m) with ``policy``."""
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    data["escalation_policies"]["payments-critical"].update(policy)
    return Catalog.model_validate(data)


def opened(now: datetime, catalog: Catalog, window: MaintenanceWindow | None = None) -> IncidentState:
    """A P1 shop-payments incident (ack SLA 5m, resolve 1h) opened, classified and paged as the workflow does."""
    report = make_report()
    found = route(catalog, report.service, "test")
    decision = decide_priority(report.impact, report.urgency, found.criticality, "test")
    state = IncidentState(incident_id="INC-1", report=report, opened_at=now)
    record_opening(state, now)
    classify(state, decision, found, now)
    if window is not None:
        hold_for_maintenance(state, window, now)
    page_first_level(state, now)
    advance(state, now)
    return state


def run_until(state: IncidentState, end: datetime) -> None:
    while (wake := state.next_wake()) is not None and wake <= end:
        advance(state, wake)


def minutes_of(moment: datetime, start: datetime = T0) -> float:
    return (moment - start).total_seconds() / 60


def events(state: IncidentState, *kinds: str) -> list[tuple[str, float]]:
    return [(entry.kind, minutes_of(entry.at)) for entry in state.timeline if not kinds or entry.kind in kinds]


def pages(state: IncidentState) -> list[tuple[str, str, list[str]]]:
    found = [(page.step, page.kind, page.recipients) for page in state.outbox]
    state.take_outbox()
    return found


PAGING = (
    "escalation.level_paged",
    "acknowledgement.reminder",
    "incident.retriggered",
    "incident.acknowledged",
    "note.added",
    "sla.warning",
    "sla.breached",
    "page.suppressed",
)
TIMEOUT = {"acknowledgement": {"remind_after": "20m", "retrigger_after": "15m"}}
"""payments-critical: L1 amara 5m, L2 amara+bruno 10m, L3 chen+kofi 15m; 20m reminder, 15m re-trigger."""

WINDOW = MaintenanceWindow(service="shop-payments", start=at(-30), end=at(50), reason="database upgrade")
"""A window on shop-payments from 30 minutes before T0 to 50 minutes after."""
