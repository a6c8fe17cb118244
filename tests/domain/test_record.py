"""What people see: the closing record (MTTA, MTTR, SLA verdicts), its Markdown, the status view and describe()."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from adapters.catalog_file import LoadedCatalog
from domain.incident import (
    IncidentState,
    acknowledge,
    add_action,
    add_note,
    advance,
    close_incident,
    reassign,
    record_attempt,
    record_opening,
    resolve,
)
from domain.models import Category, Impact, IncidentReport, Priority, Source, Status, Urgency
from domain.policy.catalog import ReviewRule, Target
from domain.policy.escalation import EscalationStep
from domain.policy.sla import Clock
from domain.views.record import IncidentRecord, SlaClockView, build_record, describe, render_markdown, status_view

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OpenIncident = Callable[..., IncidentState]  # the conftest fixture: opened, classified, level 1 paged
ACK, RES = Clock.ACKNOWLEDGE, Clock.RESOLVE


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def run_until(state: IncidentState, end: datetime) -> None:
    while (wake := state.next_wake()) is not None and wake <= end:
        advance(state, wake)


def closed_incident(open_incident: OpenIncident) -> IncidentState:
    """Acknowledged in 3 minutes (SLA met), resolved in 1h15m (SLA of 1h breached), closed at 10:20."""
    state = open_incident(T0)
    record_attempt(state, state.take_outbox()[0], "slack", 1, "delivered", "200 OK", at(1 / 6))
    run_until(state, at(3))
    acknowledge(state, "amara", at(3))
    add_note(state, "amara", "card processor | timeouts\nsince 08:55", at(10))
    run_until(state, at(75))
    resolve(state, "bruno", "failed over", "expired certificate", at(75))
    close_incident(state, at(80))
    return state


def test_build_record(open_incident: OpenIncident, catalog: LoadedCatalog) -> None:
    record = build_record(closed_incident(open_incident), at(80))
    assert (record.mtta_seconds, record.mttr_seconds) == (180.0, 4500.0)
    assert record.sla == [
        SlaClockView(clock=ACK, deadline=at(5), state="met", remaining_seconds=120.0),
        SlaClockView(clock=RES, deadline=at(60), state="breached", remaining_seconds=-900.0),
    ]
    assert record.sla_breached is True
    assert (record.priority, record.team, record.escalation_policy) == (
        Priority.P1,
        "shop-payments",
        "payments-critical",
    )
    assert record.priority_reason == (
        "P1 Critical: impact all_users × urgency high → P1; service criticality critical: unchanged"
        f" (matrix impact-urgency/1, catalog {catalog.version})"
    )
    assert (record.acknowledged_at, record.acknowledged_by) == (at(3), "amara")
    assert (record.resolved_at, record.resolved_by, record.closed_at) == (at(75), "bruno", at(80))
    assert (record.resolution_summary, record.root_cause) == ("failed over", "expired certificate")
    assert [(e.level, e.recipients) for e in record.escalations] == [(1, ["amara"])]
    assert record.escalation_exhausted is False
    assert [(n.step, n.channel, n.outcome, n.attempts) for n in record.notifications] == [
        ("page-0", "slack", "delivered", 1)
    ]
    assert [entry.kind for entry in record.timeline][-6:] == [
        "note.added",
        "sla.warning",
        "sla.warning",
        "sla.breached",
        "incident.resolved",
        "incident.closed",
    ]


def test_an_incident_resolved_in_time_meets_both_clocks(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    acknowledge(state, "amara", at(5))  # exactly on the deadline still counts
    resolve(state, "amara", "restarted", "memory leak", at(42))
    record = build_record(state, at(43))
    assert (record.mtta_seconds, record.mttr_seconds) == (300.0, 2520.0)
    assert [(view.state, view.remaining_seconds) for view in record.sla] == [("met", 0.0), ("met", 1080.0)]
    assert record.sla_breached is False


def test_resolving_before_anyone_acknowledged_meets_the_acknowledge_sla(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    resolve(state, "amara", "flapping monitor", "threshold too low", at(4))
    record = build_record(state, at(4))
    assert (record.mtta_seconds, record.mttr_seconds) == (None, 240.0)
    assert [(view.clock, view.state, view.remaining_seconds) for view in record.sla] == [
        (ACK, "met", 60.0),
        (RES, "met", 3360.0),
    ]
    assert record.sla_breached is False
    lines = render_markdown(record).splitlines()
    assert "- **Acknowledged:** — by — (MTTA —)" in lines
    assert "- **Resolved:** 2026-01-05 09:04:00 UTC by amara (MTTR 4m)" in lines


def test_render_markdown_is_deterministic(open_incident: OpenIncident, catalog: LoadedCatalog) -> None:
    record = build_record(closed_incident(open_incident), at(80))
    text = render_markdown(record)
    again = render_markdown(IncidentRecord.model_validate_json(record.model_dump_json()))
    assert text == again
    lines = text.splitlines()
    assert lines[:10] == [
        "# INC-1: Checkout fails",
        "",
        "- **Priority:** P1 Critical",
        "- **Why:** P1 Critical: impact all_users × urgency high → P1; service criticality critical: unchanged"
        f" (matrix impact-urgency/1, catalog {catalog.version})",
        "- **Service:** shop-payments (team shop-payments, policy payments-critical)",
        "- **Category / source:** application_error / monitoring, reported by monitor",
        "- **Opened:** 2026-01-05 09:00:00 UTC",
        "- **Acknowledged:** 2026-01-05 09:03:00 UTC by amara (MTTA 3m)",
        "- **Resolved:** 2026-01-05 10:15:00 UTC by bruno (MTTR 1h15m)",
        "- **Closed:** 2026-01-05 10:20:00 UTC",
    ]
    assert "**Summary:** failed over" in lines
    assert "**Root cause:** expired certificate" in lines
    assert "| acknowledge | 2026-01-05 09:05:00 UTC | met |" in lines
    assert "| resolve | 2026-01-05 10:00:00 UTC | breached |" in lines
    assert "| 2026-01-05 09:00:00 UTC | 1 | 1 | amara | timer |" in lines
    assert "| 2026-01-05 09:00:10 UTC | page-0 | slack | amara | delivered | 1 |" in lines
    assert "| 2026-01-05 09:10:00 UTC | note.added | amara | card processor \\| timeouts since 08:55 |" in lines
    assert lines[-1] == "| 2026-01-05 10:20:00 UTC | incident.closed | — | closed |"
    assert text.endswith("|\n")
    assert "The escalation path was exhausted without an acknowledgement." not in text


def test_render_markdown_of_an_unclassified_incident() -> None:
    report = IncidentReport(
        title="Login slow",
        service="auth",
        category=Category.BROKEN_FEATURE,
        source=Source.TICKET,
        impact=Impact.SOME_USERS,
        urgency=Urgency.MEDIUM,
        reporter="sam",
    )
    state = IncidentState(incident_id="INC-9", report=report, opened_at=T0)
    record_opening(state, T0)
    assert render_markdown(build_record(state, at(1))) == (
        "# INC-9: Login slow\n\n"
        "- **Priority:** unclassified\n"
        "- **Why:** —\n"
        "- **Service:** auth (team —, policy —)\n"
        "- **Category / source:** broken_feature / ticket, reported by sam\n"
        "- **Opened:** 2026-01-05 09:00:00 UTC\n"
        "- **Acknowledged:** — by — (MTTA —)\n"
        "- **Resolved:** — by — (MTTR —)\n"
        "- **Closed:** —\n\n"
        "## Resolution\n\n**Summary:** —\n\n**Root cause:** —\n\n"
        "## SLA\n\n| Clock | Deadline | Outcome |\n|---|---|---|\n\n"
        "## Escalations\n\n\n## Notifications\n\n\n"
        "## Timeline\n\n| When | What | Who | Details |\n|---|---|---|---|\n"
        "| 2026-01-05 09:00:00 UTC | incident.opened | sam | Reported by sam via ticket: Login slow |\n"
    )
    assert describe(state, at(1)) == "unclassified · triggered"


def test_render_markdown_of_an_exhausted_path(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    run_until(state, at(61))
    lines = render_markdown(build_record(state, at(61))).splitlines()
    assert "The escalation path was exhausted without an acknowledgement." in lines
    assert "| 2026-01-05 09:45:00 UTC | 3 | 2 | chen, kofi | timer |" in lines


def test_status_view(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    view = status_view(state, at(2))
    assert (view.incident_id, view.title, view.service, view.status) == (
        "INC-1",
        "Checkout fails",
        "shop-payments",
        Status.TRIGGERED,
    )
    assert (view.priority, view.team, view.escalation_policy, view.assignee) == (
        Priority.P1,
        "shop-payments",
        "payments-critical",
        None,
    )
    assert view.escalation == EscalationStep(
        index=0, loop=1, level=1, targets=[Target(user="amara")], delay=timedelta(minutes=5)
    )
    assert view.escalation_targets == ["amara"]
    assert (view.escalation_exhausted, view.next_escalation_at, view.opened_at) == (False, at(5), T0)
    assert [(v.clock, v.deadline, v.state, v.remaining_seconds) for v in view.sla] == [
        (ACK, at(5), "running", 180.0),
        (RES, at(60), "running", 3480.0),
    ]
    assert view.sla_breached is False
    assert len(view.timeline) == 4
    late = status_view(state, at(6))  # nobody advanced the clock: the view still tells the truth
    assert [(v.state, v.remaining_seconds) for v in late.sla] == [("breached", -60.0), ("running", 3240.0)]
    assert late.sla_breached is True


def test_describe(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    assert describe(state, at(1)) == (
        "P1 · triggered — waiting for ack from level 1 (amara) — next escalation at 2026-01-05 09:05:00 UTC"
        " — acknowledge SLA breaches at 2026-01-05 09:05:00 UTC — resolve SLA breaches at 2026-01-05 10:00:00 UTC"
    )
    run_until(state, at(6))
    assert describe(state, at(6)) == (
        "P1 · triggered — waiting for ack from level 2 (amara, bruno) — next escalation at 2026-01-05 09:15:00 UTC"
        " — acknowledge SLA BREACHED at 2026-01-05 09:05:00 UTC — resolve SLA breaches at 2026-01-05 10:00:00 UTC"
    )
    acknowledge(state, "bruno", at(7))
    assert describe(state, at(7)) == (
        "P1 · acknowledged — acknowledged by bruno — resolve SLA breaches at 2026-01-05 10:00:00 UTC"
    )
    resolve(state, "bruno", "done", "cause", at(70))
    assert describe(state, at(70)) == "P1 · resolved"


def test_describe_a_resolved_incident_in_review_with_its_next_reminder(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    assert state.route is not None
    policy = state.route.policy.model_copy(update={"review": ReviewRule()})
    state.route = state.route.model_copy(update={"policy": policy})
    resolve(state, "bruno", "done", "cause", at(10))
    add_action(state, "bruno", "amara", at(120), "add a canary stage", at(11))
    assert describe(state, at(12)) == (
        "P1 · resolved — in review — 1 action item open — next reminder at 2026-01-05 11:00:00 UTC"
    )


def test_describe_an_exhausted_path(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    run_until(state, at(61))
    assert describe(state, at(61)) == (
        "P1 · triggered — escalation path exhausted; waiting for anyone to acknowledge"
        " — acknowledge SLA BREACHED at 2026-01-05 09:05:00 UTC — resolve SLA BREACHED at 2026-01-05 10:00:00 UTC"
    )


def test_describe_names_each_person_once(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    reassign(state, "kofi", "amara", "she knows the processor", at(1))  # amara is also level 1
    assert describe(state, at(1)) == (
        "P1 · triggered — waiting for ack from level 1 (amara) — next escalation at 2026-01-05 09:06:00 UTC"
        " — acknowledge SLA breaches at 2026-01-05 09:05:00 UTC — resolve SLA breaches at 2026-01-05 10:00:00 UTC"
    )
