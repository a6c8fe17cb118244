"""Routing rules: first match wins, equality and regex conditions, labels, the default, and catalog errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.catalog_file import LoadedCatalog, load_catalog
from domain.errors import ConfigError
from domain.incident import classify
from domain.models import Category, Source
from domain.policy.catalog import Catalog, route, route_report
from domain.policy.routing import Pattern, RoutingRule, Subject, explain_match, first_match, rule_matches
from tests.support.reports import make_report


def rule(name: str = "r", team: str = "t", **match: Any) -> RoutingRule:
    return RoutingRule.model_validate({"name": name, "match": match, "team": team})


@pytest.mark.parametrize(
    ("match", "subject", "expected"),
    [
        ({"service": "shop-payments"}, Subject("shop-payments"), True),
        ({"service": "shop-payments"}, Subject("shop-catalog"), False),
        ({"service": {"regex": "shop-.*"}}, Subject("shop-catalog"), True),
        ({"service": {"regex": "shop"}}, Subject("shop-catalog"), False),  # the whole value must match
        ({"service": {"regex": "shop-(payments|catalog)"}}, Subject("shop-search"), False),
        ({"category": "network_problem"}, Subject("x", category="network_problem"), True),
        ({"category": "network_problem"}, Subject("x", category="server_downtime"), False),
        ({"category": "network_problem"}, Subject("x"), False),  # a category rule needs the category
        ({"source": {"regex": "monitoring|ticket"}}, Subject("x", source="ticket"), True),
        ({"labels": {"team": "security"}}, Subject("x", labels={"team": "security"}), True),
        ({"labels": {"team": "security"}}, Subject("x", labels={"team": "payments"}), False),
        ({"labels": {"team": "security"}}, Subject("x", labels={}), False),  # a missing label never matches
        ({"labels": {"team": {"regex": ".*"}}}, Subject("x", labels={}), False),
        ({"labels": {"env": {"regex": "prod|staging"}}}, Subject("x", labels={"env": "prod"}), True),
        ({"labels": {"env": "prod", "team": "db"}}, Subject("x", labels={"env": "prod", "team": "web"}), False),
        ({"labels": {"env": "prod", "team": "db"}}, Subject("x", labels={"env": "prod", "team": "db"}), True),
        ({"service": "a", "labels": {"env": "prod"}}, Subject("b", labels={"env": "prod"}), False),
        ({}, Subject("anything"), True),  # no condition: a catch-all
    ],
)
def test_a_rule_matches_when_every_condition_holds(match: dict[str, Any], subject: Subject, expected: bool) -> None:
    assert rule_matches(rule(**match), subject) is expected


def test_the_first_matching_rule_wins() -> None:
    rules = [
        rule("db", labels={"team": "db"}),
        rule("shop", service={"regex": "shop-.*"}),
        rule("everything"),
    ]
    assert first_match(rules, Subject("shop-catalog", labels={"team": "db"})) == rules[0]
    assert first_match(rules, Subject("shop-catalog")) == rules[1]
    assert first_match(rules, Subject("bank")) == rules[2]
    assert first_match(rules[:2], Subject("bank")) is None


def test_a_rule_explains_what_it_matched() -> None:
    assert (
        explain_match(rule(service="a", labels={"env": {"regex": "prod.*"}})) == "service = 'a', labels.env ~ /prod.*/"
    )
    assert explain_match(rule()) == "every report"


def test_a_bad_regex_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"regex\n.*not a regular expression: missing \), unterminated subpattern"):
        Pattern(regex="(unclosed")


# ---- rules in the example catalog ----------------------------------------------------------------


def test_security_alerts_for_the_partner_api_go_to_bank_security(catalog: LoadedCatalog) -> None:
    report = make_report(service="bank-partner-api", labels={"team": "security", "severity": "critical"})
    found = route_report(catalog.catalog, report, catalog.version)
    assert (found.team, found.policy_id, found.rule) == (
        "bank-security",
        "bank-partner-critical",
        "bank-security-alerts",
    )
    assert found.reason == (
        "routing rule 'bank-security-alerts' (service = 'bank-partner-api', labels.team = 'security') "
        "sends it to team 'bank-security'"
    )
    assert found.known_service is True
    assert found.criticality.value == "critical"  # criticality still comes from the service


def test_a_rule_can_name_its_own_escalation_policy(catalog: LoadedCatalog) -> None:
    report = make_report(service="shop-catalog", category=Category.NETWORK_PROBLEM)
    found = route_report(catalog.catalog, report, catalog.version)
    assert (found.team, found.policy_id, found.rule) == ("shop-platform", "default", "shop-network")
    assert found.policy == catalog.catalog.escalation_policies["default"]
    assert found.team_members == {"incident-command": ["kofi", "lena"]}


@pytest.mark.parametrize(
    ("service", "category", "labels", "team", "policy"),
    [
        (
            "bank-partner-api",
            Category.API_DISRUPTION,
            {"team": "payments"},
            "bank-integrations",
            "bank-partner-critical",
        ),
        ("shop-catalog", Category.APPLICATION_ERROR, {}, "shop-platform", "payments-critical"),
        ("mystery", Category.NETWORK_PROBLEM, {}, "incident-command", "default"),
    ],
)
def test_without_a_matching_rule_the_owner_takes_it(
    catalog: LoadedCatalog, service: str, category: Category, labels: dict[str, str], team: str, policy: str
) -> None:
    report = make_report(service=service, category=category, labels=labels)
    found = route_report(catalog.catalog, report, catalog.version)
    assert (found.team, found.policy_id, found.rule) == (team, policy, None)


def test_route_without_report_fields_skips_rules_that_need_them(catalog: LoadedCatalog) -> None:
    found = route(catalog.catalog, "bank-partner-api", catalog.version)
    assert (found.team, found.rule) == ("bank-integrations", None)


def test_the_matched_rule_is_recorded_on_the_timeline(catalog: LoadedCatalog) -> None:
    from datetime import UTC, datetime

    from domain.incident import IncidentState
    from domain.policy.priority import decide_priority

    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    report = make_report(service="bank-partner-api", source=Source.MONITORING, labels={"team": "security"})
    found = route_report(catalog.catalog, report, catalog.version)
    state = IncidentState(incident_id="INC-1", report=report, opened_at=now)
    classify(state, decide_priority(report.impact, report.urgency, found.criticality, catalog.version), found, now)
    routed = state.timeline[-1]
    assert routed.kind == "incident.routed"
    assert routed.data == {
        "team": "bank-security",
        "policy": "bank-partner-critical",
        "known_service": True,
        "rule": "bank-security-alerts",
    }


# ---- catalog errors --------------------------------------------------------------------------------


@pytest.fixture
def example(catalog: LoadedCatalog) -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(catalog.path.read_text()))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            {"name": "x", "match": {}, "team": "nobody"},
            "routing_rules.2.team: unknown team 'nobody'",
        ),
        (
            {"name": "x", "match": {}, "team": "logistics", "escalation_policy": "nope"},
            "routing_rules.2.escalation_policy: unknown policy 'nope'",
        ),
        (
            {"name": "shop-network", "match": {}, "team": "logistics"},
            "routing_rules.2.name: 'shop-network' is used by an earlier rule",
        ),
        (
            {"name": "x", "match": {"labels": {"env": {"regex": "[prod"}}}, "team": "logistics"},
            "routing_rules.2.match.labels.env.regex: not a regular expression: unterminated character set",
        ),
        (
            {"name": "x", "match": {"service": 3}, "team": "logistics"},
            "routing_rules.2.match.service: a condition is a value to equal or {regex: <expression>}",
        ),
        (
            {"name": "x", "match": {"severity": "high"}, "team": "logistics"},
            "routing_rules.2.match.severity: Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_rule_names_its_place_in_the_file(
    example: dict[str, Any], tmp_path: Path, edit: dict[str, Any], message: str
) -> None:
    example["routing_rules"].append(edit)
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(example, sort_keys=False))
    with pytest.raises(ConfigError) as raised:
        load_catalog(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_rules_are_optional(example: dict[str, Any]) -> None:
    del example["routing_rules"]
    assert Catalog.model_validate(example).routing_rules == []
