"""close_incident: the final record of a closed incident, with exact MTTA, MTTR and SLA verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.testing import ActivityEnvironment

from activities.close import close_incident
from adapters.catalog_file import LoadedCatalog
from domain.incident import Escalation
from domain.messages.steps import CloseRequest
from domain.models import Priority
from domain.policy.sla import Clock
from domain.views.record import IncidentRecord, SlaClockView, build_record
from tests.support.sample_incidents import INCIDENT_ID, OPENED_AT, closed_incident


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 28, hour, minute, tzinfo=UTC)


async def close(request: CloseRequest) -> IncidentRecord:
    return await ActivityEnvironment().run(close_incident, request)


async def test_record_of_an_incident_acknowledged_at_4m_and_resolved_at_50m(catalog: LoadedCatalog) -> None:
    state = closed_incident(catalog)
    closed_at = OPENED_AT + timedelta(minutes=55)

    record = await close(CloseRequest(state=state, closed_at=closed_at))

    assert record.mtta_seconds == 240.0
    assert record.mttr_seconds == 3000.0
    assert record.incident_id == INCIDENT_ID
    assert record.priority is Priority.P1
    assert record.priority_reason == (
        "P1 Critical: impact all_users × urgency high → P1; service criticality critical: unchanged "
        f"(matrix impact-urgency/1, catalog {catalog.version})"
    )
    assert (record.team, record.escalation_policy) == ("shop-payments", "payments-critical")
    assert (record.opened_at, record.acknowledged_at, record.resolved_at, record.closed_at) == (
        at(9, 0),
        at(9, 4),
        at(9, 50),
        at(9, 55),
    )
    assert (record.acknowledged_by, record.resolved_by) == ("amara", "bruno")
    assert record.resolution_summary == "Rotated the gateway certificate"
    assert record.root_cause == "Certificate renewal job was disabled"
    assert record.sla == [
        SlaClockView(clock=Clock.ACKNOWLEDGE, deadline=at(9, 5), state="met", remaining_seconds=60.0),
        SlaClockView(clock=Clock.RESOLVE, deadline=at(10, 0), state="met", remaining_seconds=600.0),
    ]
    assert record.sla_breached is False
    assert record.escalations == [
        Escalation(index=0, loop=1, level=1, recipients=["amara"], at=at(9, 0), due=at(9, 0), by=None)
    ]
    assert record.escalation_exhausted is False
    assert [(n.step, n.channel, n.outcome, n.attempts) for n in record.notifications] == [
        ("page-0", "log", "delivered", 1),
        ("sla-acknowledge-50", "log", "delivered", 1),
        ("sla-acknowledge-75", "log", "delivered", 1),
        ("sla-resolve-50", "log", "delivered", 1),
        ("sla-resolve-75", "log", "delivered", 1),
        ("resolved", "log", "delivered", 1),
    ]
    assert record.timeline[-1].kind == "incident.closed"
    assert record == build_record(state, closed_at)


async def test_record_of_a_late_incident_shows_both_breaches(catalog: LoadedCatalog) -> None:
    """Acknowledged at 7m (deadline 5m), resolved at 1h15m (deadline 1h): level 2 was paged at 5m."""
    state = closed_incident(
        catalog,
        acknowledged_after=timedelta(minutes=7),
        resolved_after=timedelta(minutes=75),
        closed_after=timedelta(minutes=80),
    )

    record = await close(CloseRequest(state=state, closed_at=OPENED_AT + timedelta(minutes=80)))

    assert record.mtta_seconds == 420.0
    assert record.mttr_seconds == 4500.0
    assert record.sla == [
        SlaClockView(clock=Clock.ACKNOWLEDGE, deadline=at(9, 5), state="breached", remaining_seconds=-120.0),
        SlaClockView(clock=Clock.RESOLVE, deadline=at(10, 0), state="breached", remaining_seconds=-900.0),
    ]
    assert record.sla_breached is True
    assert [(e.level, e.recipients, e.at) for e in record.escalations] == [
        (1, ["amara"], at(9, 0)),
        (2, ["amara", "bruno"], at(9, 5)),
    ]
