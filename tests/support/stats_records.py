"""Hand-made closed incident records with exact times, for the stats tests (domain, command line, HTML).

Six are opened in [2026-03-02, 2026-03-05) UTC and two just outside it. Minutes after opening:

| id    | service       | team     | prio | opened (UTC)     | ack | resolve | SLA ack / resolve   | escalations |
|-------|---------------|----------|------|------------------|-----|---------|---------------------|-------------|
| INC-A | shop-payments | payments | P1   | 03-02 09:00      | 2   | 30      | met / met           | 0           |
| INC-B | shop-payments | payments | P1   | 03-02 15:00      | 10  | 90      | breached / breached | 2           |
| INC-C | dashboard     | data     | P2   | 03-03 08:00      | 5   | 120     | met / met           | 0           |
| INC-D | dashboard     | data     | P2   | 03-03 10:00      | —   | 60      | breached / met      | 1           |
| INC-E | logistics     | ops      | P3   | 03-04 12:00      | 20  | 300     | met / met           | 0           |
| INC-F | api-gateway   | —        | —    | 03-04 20:00      | 1   | 6       | (no SLA)            | 0           |
| INC-G | shop-payments | payments | P1   | 03-05 00:00      | 1   | 2       | met / met           | 0           |
| INC-H | shop-payments | payments | P1   | 03-01 23:59:59   | 1   | 2       | met / met           | 0           |
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.incident import Escalation
from domain.models import Priority
from domain.policy.sla import Clock
from domain.views.record import IncidentRecord, SlaClockView

SINCE = datetime(2026, 3, 2, tzinfo=UTC)
UNTIL = datetime(2026, 3, 5, tzinfo=UTC)


def record(
    incident_id: str,
    service: str,
    team: str | None,
    priority: Priority | None,
    opened_at: datetime,
    ack_minutes: float | None,
    resolve_minutes: float,
    sla: tuple[str, str] | None,
    escalations: int,
) -> IncidentRecord:
    acknowledged = opened_at + timedelta(minutes=ack_minutes) if ack_minutes is not None else None
    resolved = opened_at + timedelta(minutes=resolve_minutes)
    views = []
    if sla is not None:
        for clock, state in zip(Clock, sla, strict=True):
            due = opened_at + timedelta(minutes=15)
            views.append(SlaClockView(clock=clock, deadline=due, state=state, remaining_seconds=0.0))
    return IncidentRecord(
        incident_id=incident_id,
        title=f"{service} trouble",
        description="",
        service=service,
        category="application_error",
        source="monitoring",
        reporter="monitor",
        labels={},
        team=team,
        escalation_policy=f"{team}-policy" if team else None,
        priority=priority,
        priority_reason=None,
        opened_at=opened_at,
        occurred_at=None,
        acknowledged_at=acknowledged,
        acknowledged_by="amara" if acknowledged else None,
        resolved_at=resolved,
        resolved_by="amara",
        closed_at=resolved,
        mtta_seconds=ack_minutes * 60 if ack_minutes is not None else None,
        mttr_seconds=resolve_minutes * 60,
        sla=views,
        sla_breached="breached" in (sla or ()),
        escalations=[
            Escalation(index=index, loop=1, level=index + 1, recipients=["amara"], at=opened_at, due=opened_at)
            for index in range(escalations + 1)
        ],
        escalation_exhausted=False,
        notifications=[],
        resolution_summary="fixed",
        root_cause="a cause",
        timeline=[],
    )


def day(number: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, number, hour, minute, second, tzinfo=UTC)


P1, P2, P3 = Priority.P1, Priority.P2, Priority.P3

RECORDS = [
    record("INC-A", "shop-payments", "payments", P1, day(2, 9), 2, 30, ("met", "met"), 0),
    record("INC-B", "shop-payments", "payments", P1, day(2, 15), 10, 90, ("breached", "breached"), 2),
    record("INC-C", "dashboard", "data", P2, day(3, 8), 5, 120, ("met", "met"), 0),
    record("INC-D", "dashboard", "data", P2, day(3, 10), None, 60, ("breached", "met"), 1),
    record("INC-E", "logistics", "ops", P3, day(4, 12), 20, 300, ("met", "met"), 0),
    record("INC-F", "api-gateway", None, None, day(4, 20), 1, 6, None, 0),
    record("INC-G", "shop-payments", "payments", P1, day(5, 0), 1, 2, ("met", "met"), 0),
    record("INC-H", "shop-payments", "payments", P1, day(1, 23, 59, 59), 1, 2, ("met", "met"), 0),
]
