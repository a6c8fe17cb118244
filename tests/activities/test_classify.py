"""classify_incident with the example catalog: priority, owning team, escalation policy and channels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.testing import ActivityEnvironment

from activities.classify import ClassifyActivities
from adapters.catalog_file import LoadedCatalog
from domain.messages.steps import Classification, ClassifyRequest
from domain.models import Category, Impact, IncidentReport, Priority, Source, Urgency
from domain.policy.catalog import Criticality
from domain.policy.priority import MATRIX_VERSION

EVERYONE = ["amara", "bruno", "chen", "dana", "emil", "fatima", "gustav", "hana", "ivan", "jade", "kofi", "lena"]


def report(service: str, impact: Impact, urgency: Urgency) -> IncidentReport:
    return IncidentReport(
        title=f"{service} is failing",
        service=service,
        category=Category.API_DISRUPTION,
        source=Source.MONITORING,
        impact=impact,
        urgency=urgency,
        reporter="monitor",
    )


async def classify(activities: ClassifyActivities, incident: IncidentReport) -> Classification:
    request = ClassifyRequest(incident_id="INC-20261128-0007", report=incident)
    return await ActivityEnvironment().run(activities.classify_incident, request)


@pytest.mark.parametrize(
    (
        "service",
        "impact",
        "urgency",
        "priority",
        "matrix_priority",
        "rule",
        "criticality",
        "team",
        "team_name",
        "policy",
        "team_members",
    ),
    [
        (
            "shop-payments",
            Impact.ALL_USERS,
            Urgency.HIGH,
            Priority.P1,
            Priority.P1,
            "service criticality critical: unchanged",
            Criticality.CRITICAL,
            "shop-payments",
            "Shop payments",
            "payments-critical",
            {"shop-payments": ["amara", "bruno"], "shop-platform": ["chen"]},
        ),
        (
            "saas-dashboard",
            Impact.MANY_USERS,
            Urgency.MEDIUM,
            Priority.P2,
            Priority.P2,
            "service criticality high: unchanged",
            Criticality.HIGH,
            "dashboards",
            "Dashboards",
            "dashboards-standard",
            {"dashboards": ["dana", "emil"]},  # level 2 pages the incident-command schedule, not the team
        ),
        (
            "bank-partner-api",
            Impact.SOME_USERS,
            Urgency.HIGH,
            Priority.P1,
            Priority.P2,
            "service criticality critical: raised 1 level from P2",
            Criticality.CRITICAL,
            "bank-integrations",
            "Bank partner integrations",
            "bank-partner-critical",
            {"bank-security": ["hana"], "incident-command": ["kofi", "lena"]},
        ),
        (
            "logistics-tracking",
            Impact.MANY_USERS,
            Urgency.LOW,
            Priority.P3,
            Priority.P3,
            "service criticality standard: unchanged",
            Criticality.STANDARD,
            "logistics",
            "Logistics tracking",
            "logistics-standard",
            {"logistics": ["ivan", "jade"]},
        ),
    ],
)
async def test_business_cases(
    catalog: LoadedCatalog,
    service: str,
    impact: Impact,
    urgency: Urgency,
    priority: Priority,
    matrix_priority: Priority,
    rule: str,
    criticality: Criticality,
    team: str,
    team_name: str,
    policy: str,
    team_members: dict[str, list[str]],
) -> None:
    result = await classify(ClassifyActivities(catalog, ["log", "webhook"]), report(service, impact, urgency))

    decision = result.decision
    assert decision.priority is priority
    assert decision.matrix_priority is matrix_priority
    assert decision.cell == f"impact {impact.value} × urgency {urgency.value}"
    assert decision.rule == rule
    assert decision.matrix_version == MATRIX_VERSION == "impact-urgency/1"
    assert decision.catalog_version == catalog.version
    assert decision.set_by is None

    found = result.route
    assert found.service == service
    assert found.known_service is True
    assert found.criticality is criticality
    assert (found.team, found.team_name, found.policy_id) == (team, team_name, policy)
    assert found.policy == catalog.catalog.escalation_policies[policy]
    assert found.team_members == team_members
    assert found.responders == EVERYONE
    assert found.catalog_version == catalog.version
    assert found.reason == f"service {service!r} is owned by team {team!r}"
    assert found.sla[priority] == catalog.catalog.sla[priority]

    assert result.channels == ["log", "webhook"]


async def test_unknown_service_goes_to_incident_command(catalog: LoadedCatalog) -> None:
    result = await classify(ClassifyActivities(catalog, ["log"]), report("crm-sync", Impact.SOME_USERS, Urgency.MEDIUM))

    found = result.route
    assert found.known_service is False
    assert found.team == "incident-command"
    assert found.team_name == "Incident command"
    assert found.policy_id == "default"
    assert found.policy.final_owner == "kofi"
    assert found.team_members == {"incident-command": ["kofi", "lena"]}
    assert found.criticality is Criticality.STANDARD
    assert found.reason == "service 'crm-sync' is not in the catalog; routed to the default team 'incident-command'"
    assert result.decision.priority is Priority.P3
    assert result.decision.rule == "service criticality standard: unchanged"
    assert result.channels == ["log"]


async def test_catalog_version_names_the_declared_version_and_the_file_digest(catalog: LoadedCatalog) -> None:
    result = await classify(ClassifyActivities(catalog, []), report("shop-payments", Impact.ALL_USERS, Urgency.HIGH))

    declared, _, digest = result.decision.catalog_version.partition("+")
    assert declared == "2026.11.1"
    assert len(digest) == 12
    assert result.route.catalog_version == result.decision.catalog_version
    assert result.route.sla[Priority.P1].acknowledge == timedelta(minutes=5)
    assert result.channels == []


async def test_channels_are_the_workers_not_a_shared_list(catalog: LoadedCatalog) -> None:
    channels = ["log"]
    activities = ClassifyActivities(catalog, channels)
    channels.append("webhook")

    result = await classify(activities, report("saas-dashboard", Impact.MANY_USERS, Urgency.MEDIUM))

    assert result.channels == ["log"]
