"""PagerDuty Events API v2: validated as PagerDuty does (exact error strings), translated with exact values."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from domain.intake.pagerduty import (
    PagerDutyAction,
    PagerDutyTrigger,
    pagerduty_errors,
    pagerduty_invalid_response,
    pagerduty_key,
    pagerduty_trigger,
    parse_pagerduty_event,
)
from domain.messages.actions import TriggerRequest
from domain.models import Category, Impact, IncidentReport, Source, Urgency

ROUTING_KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12"

# PagerDuty's documented trigger example.
TRIGGER: dict[str, Any] = {
    "payload": {
        "summary": "DISK at 99% on machine prod-datapipe03.example.com",
        "timestamp": "2015-07-17T08:42:58.315+0000",
        "severity": "critical",
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "custom_details": {"free space": "1%", "ping time": "1500ms", "load avg": 0.75},
    },
    "routing_key": ROUTING_KEY,
    "dedup_key": "srv01/mysql",
    "images": [{"src": "https://chart.example.com/disk.png", "href": "https://example.com/", "alt": "Example text"}],
    "links": [{"href": "https://example.com/", "text": "Link text"}, {"href": "https://runbooks.example.com/disk"}],
    "event_action": "trigger",
    "client": "Sample Monitoring Service",
    "client_url": "https://monitoring.example.com",
}


def trigger_body(**changes: Any) -> dict[str, Any]:
    """The example with top-level fields replaced (``None`` removes one)."""
    body = copy.deepcopy(TRIGGER)
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def with_payload(**changes: Any) -> dict[str, Any]:
    """The example with payload fields replaced (``None`` removes one)."""
    payload = copy.deepcopy(TRIGGER["payload"])
    for name, value in changes.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return trigger_body(payload=payload)


def parse_trigger(body: dict[str, Any]) -> PagerDutyTrigger:
    event = parse_pagerduty_event(body)
    assert isinstance(event, PagerDutyTrigger)
    return event


def translate(body: dict[str, Any], default_service: str | None = None) -> tuple[IncidentReport, TriggerRequest]:
    return pagerduty_trigger(parse_trigger(body), "pd-main", default_service, "0f1e2d3c4b5a69788796a5b4c3d2e1f0")


def errors_of(body: object) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        parse_pagerduty_event(body)
    return pagerduty_errors(refused.value)


def test_the_documented_trigger() -> None:
    report, trigger = translate(TRIGGER)
    assert report.model_dump() == {
        "title": "DISK at 99% on machine prod-datapipe03.example.com",
        "description": "Source: prod-datapipe03.example.com\n"
        "Component: mysql\n"
        "Group: prod-datapipe\n"
        "Class: disk\n"
        "Client: Sample Monitoring Service (https://monitoring.example.com)\n"
        "\n"
        "Details:\n"
        "{\n"
        '  "free space": "1%",\n'
        '  "load avg": 0.75,\n'
        '  "ping time": "1500ms"\n'
        "}\n"
        "\n"
        "Links:\n"
        "- Link text: https://example.com/\n"
        "- https://runbooks.example.com/disk",
        "service": "mysql",
        "category": Category.APPLICATION_ERROR,
        "source": Source.MONITORING,
        "impact": Impact.MANY_USERS,
        "urgency": Urgency.HIGH,
        "reporter": "pagerduty:pd-main",
        "on_behalf_of": None,
        "dedup_key": "pagerduty:pd-main:srv01/mysql",
        "labels": {
            "class": "disk",
            "component": "mysql",
            "group": "prod-datapipe",
            "source": "prod-datapipe03.example.com",
        },
        "occurred_at": datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC),
    }
    assert trigger.model_dump() == {
        "source": "pagerduty",
        "dedup_key": "pagerduty:pd-main:srv01/mysql",
        "summary": "DISK at 99% on machine prod-datapipe03.example.com",
        "payload": {
            "event_action": "trigger",
            "dedup_key": "srv01/mysql",
            "payload": {**TRIGGER["payload"], "timestamp": "2015-07-17T08:42:58.315000Z"},
            "images": TRIGGER["images"],
            "links": TRIGGER["links"],
            "client": "Sample Monitoring Service",
            "client_url": "https://monitoring.example.com",
        },
        "alerts": [],
        "auto_resolve": False,
        "integration": "pd-main",
    }


def test_the_routing_key_never_reaches_the_trigger() -> None:
    assert ROUTING_KEY not in repr(translate(TRIGGER))


def test_the_smallest_trigger() -> None:
    body = {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "payload": {"summary": "Ping failed", "source": "Edge Router 7", "severity": "info"},
    }
    report, trigger = translate(body)
    assert report.model_dump() == {
        "title": "Ping failed",
        "description": "Source: Edge Router 7",
        "service": "edge-router-7",
        "category": Category.APPLICATION_ERROR,
        "source": Source.MONITORING,
        "impact": Impact.SINGLE_USER,
        "urgency": Urgency.LOW,
        "reporter": "pagerduty:pd-main",
        "on_behalf_of": None,
        "dedup_key": "pagerduty:pd-main:0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "labels": {"source": "Edge Router 7"},
        "occurred_at": None,
    }
    assert trigger.model_dump() == {
        "source": "pagerduty",
        "dedup_key": "pagerduty:pd-main:0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "summary": "Ping failed",
        "payload": {
            "event_action": "trigger",
            "payload": {"summary": "Ping failed", "source": "Edge Router 7", "severity": "info"},
            "images": [],
            "links": [],
        },
        "alerts": [],
        "auto_resolve": False,
        "integration": "pd-main",
    }


def test_a_blank_dedup_key_on_a_trigger_is_generated() -> None:
    report, trigger = translate(trigger_body(dedup_key="  "))
    assert (report.dedup_key, trigger.dedup_key) == (
        "pagerduty:pd-main:0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "pagerduty:pd-main:0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    )


@pytest.mark.parametrize(
    ("severity", "urgency", "impact"),
    [
        ("critical", Urgency.HIGH, Impact.MANY_USERS),
        ("error", Urgency.HIGH, Impact.SOME_USERS),
        ("warning", Urgency.MEDIUM, Impact.SOME_USERS),
        ("info", Urgency.LOW, Impact.SINGLE_USER),
    ],
)
def test_urgency_and_impact_from_severity(severity: str, urgency: Urgency, impact: Impact) -> None:
    report = translate(with_payload(severity=severity))[0]
    assert (report.urgency, report.impact) == (urgency, impact)


@pytest.mark.parametrize(
    ("changes", "default_service", "service"),
    [
        ({"component": "MySQL Primary"}, "shop", "mysql-primary"),
        ({"component": None}, "shop-payments", "shop-payments"),
        ({"component": "  "}, None, "prod-datapipe03.example.com"),
        ({"component": "!!!", "source": "???"}, None, "unknown"),
    ],
)
def test_service(changes: dict[str, Any], default_service: str | None, service: str) -> None:
    assert translate(with_payload(**changes), default_service)[0].service == service


@pytest.mark.parametrize(
    ("event_class", "category"),
    [
        ("network_problem", Category.NETWORK_PROBLEM),
        ("Server_Downtime", Category.SERVER_DOWNTIME),
        ("disk", Category.APPLICATION_ERROR),
        (None, Category.APPLICATION_ERROR),
    ],
)
def test_category_from_class(event_class: str | None, category: Category) -> None:
    assert translate(with_payload(**{"class": event_class}))[0].category == category


def test_a_long_summary_is_cut_in_the_title_and_kept_whole_elsewhere() -> None:
    summary = "s" * 1024
    report, trigger = translate(with_payload(summary=summary, custom_details=None))
    assert report.title == "s" * 200
    assert report.description.startswith(f"{summary}\n\nSource: prod-datapipe03.example.com\n")
    assert trigger.summary == summary


def test_a_short_summary_gets_the_source_in_the_title() -> None:
    assert translate(with_payload(summary="ok"))[0].title == "ok (prod-datapipe03.example.com)"


@pytest.mark.parametrize(
    ("details", "section"),
    [
        ("plain text", "Details:\nplain text"),
        ([1, "two"], 'Details:\n[\n  1,\n  "two"\n]'),
        ({"nested": {"ok": True, "n": None}}, 'Details:\n{\n  "nested": {\n    "n": null,\n    "ok": true\n  }\n}'),
    ],
)
def test_custom_details_are_shown_as_json(details: Any, section: str) -> None:
    report = translate(trigger_body(payload={**TRIGGER["payload"], "custom_details": details}, links=[]))[0]
    assert report.description.endswith(f"\n\n{section}")


@pytest.mark.parametrize(
    ("client", "client_url", "line"),
    [
        ("Nagios", None, "Client: Nagios"),
        (None, "https://nagios.example.com", "Client: https://nagios.example.com"),
    ],
)
def test_client_line(client: str | None, client_url: str | None, line: str) -> None:
    body = trigger_body(client=client, client_url=client_url, links=[])
    body["payload"] = {"summary": "Load high", "source": "web-1", "severity": "warning"}
    assert translate(body)[0].description == f"Source: web-1\n{line}"


@pytest.mark.parametrize(
    ("timestamp", "occurred_at"),
    [
        ("2015-07-17T08:42:58.315+0000", datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)),
        ("2015-07-17T10:42:58+02:00", datetime(2015, 7, 17, 10, 42, 58, tzinfo=timezone(timedelta(hours=2)))),
        ("2015-07-17T08:42:58Z", datetime(2015, 7, 17, 8, 42, 58, tzinfo=UTC)),
        ("2015-07-17T08:42:58", datetime(2015, 7, 17, 8, 42, 58, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_timestamp(timestamp: str | None, occurred_at: datetime | None) -> None:
    assert translate(with_payload(timestamp=timestamp))[0].occurred_at == occurred_at


def test_labels_are_cut_to_the_report_limit() -> None:
    assert translate(with_payload(group="g" * 1500))[0].labels["group"] == "g" * 1000


def test_unknown_fields_are_ignored() -> None:
    event = parse_trigger(trigger_body(severity="critical", payload={**TRIGGER["payload"], "priority": "P1"}))
    assert event.model_dump(exclude={"payload", "images", "links"}) == {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "srv01/mysql",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
    }


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve(action: str) -> None:
    body = {"routing_key": ROUTING_KEY, "event_action": action, "dedup_key": " srv01/mysql ", "payload": "ignored"}
    event = parse_pagerduty_event(body)
    assert isinstance(event, PagerDutyAction)
    assert event.model_dump() == {"routing_key": ROUTING_KEY, "event_action": action, "dedup_key": "srv01/mysql"}
    assert pagerduty_key(event, "pd-main") == "pagerduty:pd-main:srv01/mysql"


def test_the_acknowledge_finds_the_trigger_s_incident() -> None:
    key = "k" * 255
    _, trigger = translate(trigger_body(dedup_key=key))
    event = parse_pagerduty_event({"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": key})
    assert isinstance(event, PagerDutyAction)
    expected = "pagerduty:pd-main:sha256:767527047c4621915da44b8a2aa3165e70ee554e2563526df03765e8ed8d091e"
    assert (trigger.dedup_key, pagerduty_key(event, "pd-main")) == (expected, expected)


ACTION = {"routing_key": ROUTING_KEY, "event_action": "acknowledge", "dedup_key": "srv01/mysql"}
SEVERITIES = "'critical', 'warning', 'error' or 'info'"
BAD_SEVERITY = f"'payload.severity' is invalid (must be one of the following: {SEVERITIES})"
BAD_ACTION = "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, ["'routing_key' is missing or blank", "'event_action' is missing or blank"]),
        (trigger_body(routing_key=None), ["'routing_key' is missing or blank"]),
        (trigger_body(routing_key="  "), ["'routing_key' is missing or blank"]),
        (trigger_body(routing_key=12345), ["'routing_key' must be a string"]),
        (trigger_body(event_action=None), ["'event_action' is missing or blank"]),
        (trigger_body(event_action=""), ["'event_action' is missing or blank"]),
        (trigger_body(event_action="escalate"), [BAD_ACTION]),
        (trigger_body(event_action="escalate", routing_key=None),
         ["'routing_key' is missing or blank", BAD_ACTION]),
        (trigger_body(event_action=1), [BAD_ACTION]),
        (trigger_body(payload=None), ["'payload' is missing or blank"]),
        (trigger_body(payload="disk full"), ["'payload' must be an object"]),
        (with_payload(summary=None), ["'payload.summary' is missing or blank"]),
        (with_payload(summary=" "), ["'payload.summary' is missing or blank"]),
        (with_payload(summary="s" * 1025), ["'payload.summary' is too long (maximum is 1024 characters)"]),
        (with_payload(source=None), ["'payload.source' is missing or blank"]),
        (with_payload(source=42), ["'payload.source' must be a string"]),
        (with_payload(severity=None), ["'payload.severity' is missing or blank"]),
        (with_payload(severity="high"), [BAD_SEVERITY]),
        (with_payload(severity="Critical"),
         [BAD_SEVERITY]),
        (with_payload(timestamp="yesterday"), ["'payload.timestamp' is invalid (must be an ISO 8601 timestamp)"]),
        (with_payload(timestamp=1437122578), ["'payload.timestamp' is invalid (must be an ISO 8601 timestamp)"]),
        (with_payload(component=["mysql"]), ["'payload.component' must be a string"]),
        (with_payload(**{"class": 7}), ["'payload.class' must be a string"]),
        (with_payload(custom_details={1, 2}),
         ["'payload.custom_details' is invalid (input was not a valid JSON value)"]),
        (trigger_body(dedup_key="d" * 256), ["'dedup_key' is too long (maximum is 255 characters)"]),
        (trigger_body(dedup_key=17), ["'dedup_key' must be a string"]),
        (trigger_body(images=[{"href": "https://example.com/"}]), ["'images[0].src' is missing or blank"]),
        (trigger_body(images={"src": "x"}), ["'images' must be an array"]),
        (trigger_body(links=[{"href": "https://a"}, {"text": "no href"}]), ["'links[1].href' is missing or blank"]),
        (trigger_body(links=["https://a"]), ["'links[0]' must be an object"]),
        (trigger_body(client_url=False), ["'client_url' must be a string"]),
        ({"routing_key": ROUTING_KEY, "event_action": "trigger", "payload": {}},
         ["'payload.summary' is missing or blank", "'payload.source' is missing or blank",
          "'payload.severity' is missing or blank"]),
        ({**ACTION, "dedup_key": None}, ["'dedup_key' is missing or blank"]),
        ({"routing_key": ROUTING_KEY, "event_action": "resolve"}, ["'dedup_key' is missing or blank"]),
        ({**ACTION, "dedup_key": "  "}, ["'dedup_key' is missing or blank"]),
        ({**ACTION, "dedup_key": "d" * 256}, ["'dedup_key' is too long (maximum is 255 characters)"]),
        ({**ACTION, "routing_key": None, "dedup_key": 5},
         ["'routing_key' is missing or blank", "'dedup_key' must be a string"]),
        ([TRIGGER], ["the event must be a JSON object"]),
        ("trigger", ["the event must be a JSON object"]),
        (None, ["the event must be a JSON object"]),
    ],
)  # fmt: skip
def test_a_bad_event_gets_pagerduty_style_errors(body: object, errors: list[str]) -> None:
    assert errors_of(body) == errors


def test_the_invalid_event_response() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_pagerduty_event(with_payload(summary="", severity="sev1"))
    assert pagerduty_invalid_response(refused.value) == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [
            "'payload.summary' is missing or blank",
            BAD_SEVERITY,
        ],
    }
