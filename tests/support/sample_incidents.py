"""Incidents built by hand the way the workflow drives them: open, classify, page, ack, resolve, close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.catalog_file import LoadedCatalog
from domain.incident import (
    IncidentState,
    acknowledge,
    add_note,
    advance,
    classify,
    close_incident,
    page_first_level,
    record_attempt,
    record_opening,
    resolve,
)
from domain.models import Category, Impact, IncidentReport, Source, Urgency
from domain.policy.catalog import route
from domain.policy.priority import decide_priority

INCIDENT_ID = "INC-20261128-0042"
OPENED_AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

CHECKOUT_DOWN = IncidentReport(
    title="Checkout returns 502 for every card payment",
    description="Since 08:58 every card payment fails at the gateway with HTTP 502.",
    service="shop-payments",
    category=Category.APPLICATION_ERROR,
    source=Source.MONITORING,
    impact=Impact.ALL_USERS,
    urgency=Urgency.HIGH,
    reporter="checkout-monitor",
    dedup_key="checkout-502",
    labels={"region": "eu-west-1", "alert": "CheckoutErrorRate"},
    occurred_at=datetime(2026, 11, 28, 8, 58, tzinfo=UTC),
)


def _deliver_outbox(state: IncidentState, now: datetime) -> None:
    """What the workflow does with queued pages: send each on the log channel, first attempt succeeds."""
    for page in state.take_outbox():
        record_attempt(state, page, "log", 1, "delivered", "written to the worker log", now)


def _at(state: IncidentState, now: datetime) -> None:
    """Let time pass up to ``now`` as the workflow does: wake at each escalation or SLA checkpoint, in order."""
    while (wake := state.next_wake()) is not None and wake <= now:
        advance(state, wake)
        _deliver_outbox(state, wake)
    _deliver_outbox(state, now)


def closed_incident(
    catalog: LoadedCatalog,
    acknowledged_after: timedelta = timedelta(minutes=4),
    resolved_after: timedelta = timedelta(minutes=50),
    closed_after: timedelta = timedelta(minutes=55),
) -> IncidentState:
    """A P1 on shop-payments: paged, acknowledged by amara, a note, resolved by bruno, closed."""
    state = IncidentState(incident_id=INCIDENT_ID, report=CHECKOUT_DOWN, opened_at=OPENED_AT)
    record_opening(state, OPENED_AT)
    found = route(catalog.catalog, CHECKOUT_DOWN.service, catalog.version)
    decision = decide_priority(CHECKOUT_DOWN.impact, CHECKOUT_DOWN.urgency, found.criticality, catalog.version)
    classify(state, decision, found, OPENED_AT)
    page_first_level(state, OPENED_AT)
    _at(state, OPENED_AT)

    acknowledged_at = OPENED_AT + acknowledged_after
    _at(state, acknowledged_at)
    acknowledge(state, "amara", acknowledged_at)
    _at(state, acknowledged_at)

    noted_at = acknowledged_at + timedelta(minutes=1)
    _at(state, noted_at)
    add_note(state, "amara", "Gateway certificate expired at 08:57; rotating it now.", noted_at)

    resolved_at = OPENED_AT + resolved_after
    _at(state, resolved_at)
    resolve(state, "bruno", "Rotated the gateway certificate", "Certificate renewal job was disabled", resolved_at)
    _at(state, resolved_at)

    close_incident(state, OPENED_AT + closed_after)
    return state
