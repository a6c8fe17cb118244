"""Priority: the impact-by-urgency matrix, the criticality rules and the four business cases of the example catalog."""

from __future__ import annotations

import pytest

from adapters.catalog_file import LoadedCatalog
from domain.models import Impact, Priority, Urgency
from domain.policy.catalog import Criticality, route
from domain.policy.priority import MATRIX_VERSION, PRIORITY_MATRIX, PriorityDecision, decide_priority, manual_priority

ALL, MANY, SOME, SINGLE = Impact.ALL_USERS, Impact.MANY_USERS, Impact.SOME_USERS, Impact.SINGLE_USER
HIGH, MEDIUM, LOW = Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW
P1, P2, P3, P4 = Priority.P1, Priority.P2, Priority.P3, Priority.P4
CRITICAL, HIGH_CRIT, STANDARD = Criticality.CRITICAL, Criticality.HIGH, Criticality.STANDARD

# Written out by hand on purpose: a change to the matrix must show up here as a failing cell.
EXPECTED_MATRIX = [
    (ALL, HIGH, P1), (ALL, MEDIUM, P2), (ALL, LOW, P3),
    (MANY, HIGH, P2), (MANY, MEDIUM, P2), (MANY, LOW, P3),
    (SOME, HIGH, P2), (SOME, MEDIUM, P3), (SOME, LOW, P4),
    (SINGLE, HIGH, P3), (SINGLE, MEDIUM, P4), (SINGLE, LOW, P4),
]  # fmt: skip


@pytest.mark.parametrize(("impact", "urgency", "expected"), EXPECTED_MATRIX)
def test_matrix_cell(impact: Impact, urgency: Urgency, expected: Priority) -> None:
    assert PRIORITY_MATRIX[(impact, urgency)] is expected
    decision = decide_priority(impact, urgency, STANDARD, "v1")
    assert decision.priority is expected
    assert decision.matrix_priority is expected
    assert decision.cell == f"impact {impact.value} × urgency {urgency.value}"
    assert decision.rule == "service criticality standard: unchanged"
    assert decision.matrix_version == "impact-urgency/1"
    assert decision.catalog_version == "v1"
    assert decision.set_by is None


def test_matrix_has_exactly_the_twelve_cells() -> None:
    assert len(PRIORITY_MATRIX) == 12
    assert set(PRIORITY_MATRIX) == {(impact, urgency) for impact, urgency, _ in EXPECTED_MATRIX}


# One cell for each matrix priority (P1, P2, P3, P4) under each criticality.
@pytest.mark.parametrize(
    ("impact", "urgency", "criticality", "matrix", "expected", "rule"),
    [
        (ALL, HIGH, CRITICAL, P1, P1, "service criticality critical: unchanged"),
        (MANY, HIGH, CRITICAL, P2, P1, "service criticality critical: raised 1 level from P2"),
        (SOME, MEDIUM, CRITICAL, P3, P2, "service criticality critical: raised 1 level from P3"),
        (SINGLE, LOW, CRITICAL, P4, P2, "service criticality critical: at least P2"),
        (ALL, HIGH, HIGH_CRIT, P1, P1, "service criticality high: unchanged"),
        (MANY, HIGH, HIGH_CRIT, P2, P2, "service criticality high: unchanged"),
        (SOME, MEDIUM, HIGH_CRIT, P3, P3, "service criticality high: unchanged"),
        (SINGLE, LOW, HIGH_CRIT, P4, P3, "service criticality high: at least P3"),
        (ALL, HIGH, STANDARD, P1, P1, "service criticality standard: unchanged"),
        (MANY, HIGH, STANDARD, P2, P2, "service criticality standard: unchanged"),
        (SOME, MEDIUM, STANDARD, P3, P3, "service criticality standard: unchanged"),
        (SINGLE, LOW, STANDARD, P4, P4, "service criticality standard: unchanged"),
    ],
)
def test_criticality_rule(
    impact: Impact, urgency: Urgency, criticality: Criticality, matrix: Priority, expected: Priority, rule: str
) -> None:
    decision = decide_priority(impact, urgency, criticality, "v1")
    assert decision.matrix_priority is matrix
    assert decision.priority is expected
    assert decision.rule == rule


@pytest.mark.parametrize(
    ("impact", "urgency", "criticality", "explanation"),
    [
        (
            SOME,
            HIGH,
            CRITICAL,
            "P1 Critical: impact some_users × urgency high → P2; service criticality critical: raised 1 level from P2"
            " (matrix impact-urgency/1, catalog v7)",
        ),
        (
            SINGLE,
            MEDIUM,
            HIGH_CRIT,
            "P3 Medium: impact single_user × urgency medium → P4; service criticality high: at least P3"
            " (matrix impact-urgency/1, catalog v7)",
        ),
        (
            MANY,
            LOW,
            STANDARD,
            "P3 Medium: impact many_users × urgency low → P3; service criticality standard: unchanged"
            " (matrix impact-urgency/1, catalog v7)",
        ),
    ],
)
def test_explain(impact: Impact, urgency: Urgency, criticality: Criticality, explanation: str) -> None:
    assert decide_priority(impact, urgency, criticality, "v7").explain() == explanation


@pytest.mark.parametrize(
    ("service", "impact", "urgency", "team", "criticality", "matrix", "expected", "rule"),
    [
        ("shop-payments", ALL, HIGH, "shop-payments", CRITICAL, P1, P1, "service criticality critical: unchanged"),
        ("saas-dashboard", MANY, MEDIUM, "dashboards", HIGH_CRIT, P2, P2, "service criticality high: unchanged"),
        (
            "bank-partner-api",
            SOME,
            HIGH,
            "bank-integrations",
            CRITICAL,
            P2,
            P1,
            "service criticality critical: raised 1 level from P2",
        ),
        ("logistics-tracking", MANY, LOW, "logistics", STANDARD, P3, P3, "service criticality standard: unchanged"),
    ],
)
def test_business_cases_with_the_example_catalog(
    catalog: LoadedCatalog,
    service: str,
    impact: Impact,
    urgency: Urgency,
    team: str,
    criticality: Criticality,
    matrix: Priority,
    expected: Priority,
    rule: str,
) -> None:
    found = route(catalog.catalog, service, catalog.version)
    assert (found.team, found.criticality, found.known_service) == (team, criticality, True)
    decision = decide_priority(impact, urgency, found.criticality, found.catalog_version)
    assert decision.matrix_priority is matrix
    assert decision.priority is expected
    assert decision.rule == rule
    assert decision.catalog_version == catalog.version


def test_manual_priority_keeps_the_matrix_and_names_who_and_why() -> None:
    previous = decide_priority(SOME, MEDIUM, STANDARD, "v1")
    manual = manual_priority(previous, P1, "amara", "customers are escalating")
    assert manual == PriorityDecision(
        priority=P1,
        matrix_priority=P3,
        cell="impact some_users × urgency medium",
        rule="set to P1 by amara: customers are escalating",
        matrix_version=MATRIX_VERSION,
        catalog_version="v1",
        set_by="amara",
    )
    assert manual.explain() == (
        "P1 Critical: impact some_users × urgency medium → P3; set to P1 by amara: customers are escalating"
        " (matrix impact-urgency/1, catalog v1)"
    )
    assert previous.priority is P3  # the decision it came from is untouched
    assert previous.set_by is None


@pytest.mark.parametrize(
    ("priority", "label", "rank"),
    [(P1, "Critical", 1), (P2, "High", 2), (P3, "Medium", 3), (P4, "Low", 4)],
)
def test_priority_label_and_rank(priority: Priority, label: str, rank: int) -> None:
    assert priority.label == label
    assert priority.rank == rank
