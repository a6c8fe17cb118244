"""The report that opens an incident: what is accepted, and errors that name the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from domain.models import (
    Category,
    Impact,
    IncidentReport,
    Source,
    Urgency,
    as_utc,
    format_validation_error,
)

VALID: dict[str, Any] = {
    "title": "  Checkout fails  ",
    "service": "shop-payments",
    "category": "application_error",
    "source": "monitoring",
    "impact": "all_users",
    "urgency": "high",
    "reporter": "monitor",
}


def test_a_valid_report() -> None:
    report = IncidentReport.model_validate(
        {**VALID, "labels": {"region": "eu"}, "occurred_at": "2026-01-05T10:00:00+01:00", "dedup_key": "chk-1"}
    )
    assert report.model_dump() == {
        "title": "Checkout fails",
        "description": "",
        "service": "shop-payments",
        "category": Category.APPLICATION_ERROR,
        "source": Source.MONITORING,
        "impact": Impact.ALL_USERS,
        "urgency": Urgency.HIGH,
        "reporter": "monitor",
        "on_behalf_of": None,
        "dedup_key": "chk-1",
        "labels": {"region": "eu"},
        "occurred_at": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    }


def test_the_smallest_report_gets_defaults() -> None:
    report = IncidentReport.model_validate(VALID)
    assert (report.description, report.dedup_key, report.labels, report.occurred_at) == ("", None, {}, None)


LONG = "x" * 1001


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"impact": "everyone"}, "impact: Input should be 'all_users', 'many_users', 'some_users' or 'single_user'"),
        ({"urgency": "now"}, "urgency: Input should be 'high', 'medium' or 'low'"),
        ({"title": "   "}, "title: String should have at least 3 characters"),
        ({"title": "x" * 201}, "title: String should have at most 200 characters"),
        ({"severity": "sev1"}, "severity: Extra inputs are not permitted"),
        ({"occurred_at": "2026-01-05T09:00:00"}, "occurred_at: Input should have timezone info"),
        ({"service": "Shop Payments"}, "service: String should match pattern '^[a-z0-9][a-z0-9._-]*$'"),
        ({"category": "outage"}, "category: Input should be 'application_error', 'server_downtime', 'api_disruption', "
         "'broken_feature', 'network_problem' or 'third_party_integration'"),
        ({"source": "pager"}, "source: Input should be 'ticket', 'monitoring' or 'internal'"),
        ({"reporter": ""}, "reporter: String should have at least 1 character"),
        ({"dedup_key": ""}, "dedup_key: String should have at least 1 character"),
        ({"labels": {"": "x"}}, "labels: Value error, label name '' must be 1 to 100 characters"),
        ({"labels": {"team": LONG}}, "labels: Value error, label 'team' is longer than 1000 characters"),
        ({"labels": {"team": 5}}, "labels.team: Input should be a valid string"),
    ],
)  # fmt: skip
def test_a_bad_field_is_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        IncidentReport.model_validate({**VALID, **change})
    assert format_validation_error(refused.value) == message


def test_a_missing_field_is_named() -> None:
    data = {key: value for key, value in VALID.items() if key != "reporter"}
    with pytest.raises(ValidationError) as refused:
        IncidentReport.model_validate(data)
    assert format_validation_error(refused.value) == "reporter: Field required"


def test_every_problem_is_listed() -> None:
    with pytest.raises(ValidationError) as refused:
        IncidentReport.model_validate({**VALID, "title": "ab", "urgency": "now", "extra": 1})
    assert format_validation_error(refused.value) == (
        "title: String should have at least 3 characters; urgency: Input should be 'high', 'medium' or 'low'; "
        "extra: Extra inputs are not permitted"
    )


def test_a_report_that_is_not_an_object() -> None:
    with pytest.raises(ValidationError) as refused:
        IncidentReport.model_validate(["not", "a", "report"])
    assert format_validation_error(refused.value) == (
        "report: Input should be a valid dictionary or instance of IncidentReport"
    )


def test_any_other_error_is_its_message() -> None:
    assert format_validation_error(ValueError("boom")) == "boom"


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 5, 9, 0, tzinfo=UTC), "2026-01-05 09:00:00 UTC"),
        (datetime(2026, 1, 5, 1, 30, 15, tzinfo=timezone(timedelta(hours=-8))), "2026-01-05 09:30:15 UTC"),
        (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))), "2025-12-31 22:30:00 UTC"),
    ],
)
def test_as_utc(moment: datetime, text: str) -> None:
    assert as_utc(moment) == text
