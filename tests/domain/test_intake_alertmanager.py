"""Alertmanager webhooks (payload version 4) translated into a report and a trigger: exact values for every mapping."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from domain.intake.alertmanager import AlertmanagerWebhook, alert_fingerprint, alertmanager_trigger
from domain.messages.actions import TriggerRequest
from domain.models import Category, Impact, IncidentReport, Source, Urgency, format_validation_error

GROUP_KEY = '{}/{severity=~"critical|warning"}:{alertname="HighLatency", service="checkout"}'

# The structure of Alertmanager's documented webhook body, as Alertmanager 0.27 sends it.
EXAMPLE: dict[str, Any] = {
    "version": "4",
    "groupKey": GROUP_KEY,
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "incident-pipeline",
    "groupLabels": {"alertname": "HighLatency", "service": "checkout"},
    "commonLabels": {
        "alertname": "HighLatency",
        "service": "checkout",
        "severity": "critical",
        "job": "checkout-api",
        "team": "payments",
    },
    "commonAnnotations": {
        "summary": "Checkout p99 latency above 2s",
        "description": "p99 latency of checkout has been above 2s for 10 minutes.",
    },
    "externalURL": "http://alertmanager.example.com:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "HighLatency",
                "service": "checkout",
                "severity": "critical",
                "job": "checkout-api",
                "team": "payments",
                "instance": "checkout-1:8080",
            },
            "annotations": {
                "summary": "Checkout p99 latency above 2s",
                "description": "p99 latency of checkout has been above 2s for 10 minutes.",
            },
            "startsAt": "2026-03-02T10:05:00.014Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=latency_p99+%3E+2",
            "fingerprint": "948c667b1fc76492",
        },
        {
            "status": "firing",
            "labels": {
                "alertname": "HighLatency",
                "service": "checkout",
                "severity": "critical",
                "job": "checkout-api",
                "team": "payments",
                "instance": "checkout-2:8080",
            },
            "annotations": {
                "summary": "Checkout p99 latency above 2s",
                "description": "p99 latency of checkout has been above 2s for 10 minutes.",
            },
            "startsAt": "2026-03-02T10:03:30+01:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=latency_p99+%3E+2",
            "fingerprint": "d57ff78af6ac95e8",
        },
    ],
}


def webhook(**changes: Any) -> dict[str, Any]:
    """The example with top-level fields replaced (``None`` removes one)."""
    body = copy.deepcopy(EXAMPLE)
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def labelled(
    common: dict[str, str], group: dict[str, str] | None = None, first: dict[str, str] | None = None
) -> dict[str, Any]:
    """A one-alert group whose labels are exactly these (and no summary, so the title is derived)."""
    alert = copy.deepcopy(EXAMPLE["alerts"][0])
    alert["labels"] = first if first is not None else dict(common)
    return webhook(
        commonLabels=common, groupLabels=group or {}, commonAnnotations={}, alerts=[alert, EXAMPLE["alerts"][1]]
    )


def translate(
    body: dict[str, Any], default_service: str | None = None, auto_resolve: bool = True
) -> tuple[IncidentReport, TriggerRequest]:
    return alertmanager_trigger(AlertmanagerWebhook.model_validate(body), "prom-eu", default_service, auto_resolve)


def test_the_documented_example() -> None:
    report, trigger = translate(EXAMPLE)
    assert report.model_dump() == {
        "title": "Checkout p99 latency above 2s",
        "description": "p99 latency of checkout has been above 2s for 10 minutes.\n\n"
        "Source: http://prometheus.example.com:9090/graph?g0.expr=latency_p99+%3E+2",
        "service": "checkout",
        "category": Category.APPLICATION_ERROR,
        "source": Source.MONITORING,
        "impact": Impact.MANY_USERS,
        "urgency": Urgency.HIGH,
        "reporter": "alertmanager:prom-eu",
        "on_behalf_of": None,
        "dedup_key": f"alertmanager:prom-eu:{GROUP_KEY}",
        "labels": {
            "alertname": "HighLatency",
            "job": "checkout-api",
            "service": "checkout",
            "severity": "critical",
            "team": "payments",
        },
        "occurred_at": datetime(2026, 3, 2, 9, 3, 30, tzinfo=UTC),
    }
    assert trigger.model_dump() == {
        "source": "alertmanager",
        "dedup_key": f"alertmanager:prom-eu:{GROUP_KEY}",
        "summary": "Checkout p99 latency above 2s",
        "payload": {
            **EXAMPLE,
            "alerts": [
                {**EXAMPLE["alerts"][0], "startsAt": "2026-03-02T10:05:00.014000Z"},
                EXAMPLE["alerts"][1],
            ],
        },
        "alerts": [
            {"fingerprint": "948c667b1fc76492", "firing": True},
            {"fingerprint": "d57ff78af6ac95e8", "firing": True},
        ],
        "auto_resolve": True,
        "integration": "prom-eu",
    }


def test_auto_resolve_is_passed_through() -> None:
    assert translate(EXAMPLE, auto_resolve=False)[1].auto_resolve is False


def test_a_resolved_group_reports_every_alert_resolved() -> None:
    alerts = [{**alert, "status": "resolved", "endsAt": "2026-03-02T11:00:00Z"} for alert in EXAMPLE["alerts"]]
    report, trigger = translate(webhook(status="resolved", alerts=alerts))
    assert [(alert.fingerprint, alert.firing) for alert in trigger.alerts] == [
        ("948c667b1fc76492", False),
        ("d57ff78af6ac95e8", False),
    ]
    assert report.occurred_at == datetime(2026, 3, 2, 9, 3, 30, tzinfo=UTC)


def test_occurred_at_is_the_earliest_firing_alert() -> None:
    first, second = EXAMPLE["alerts"]
    alerts = [first, {**second, "status": "resolved"}]
    assert translate(webhook(alerts=alerts))[0].occurred_at == datetime(2026, 3, 2, 10, 5, 0, 14000, tzinfo=UTC)


def test_occurred_at_is_unknown_without_starts_at() -> None:
    alerts = [{key: value for key, value in alert.items() if key != "startsAt"} for alert in EXAMPLE["alerts"]]
    assert translate(webhook(alerts=alerts))[0].occurred_at is None


@pytest.mark.parametrize(
    ("body", "default_service", "service"),
    [
        (labelled({"service": "Checkout API", "job": "node"}), "shop", "checkout-api"),
        (labelled({"job": "node"}, group={"service": "cart"}, first={"service": "ignored"}), "shop", "cart"),
        (labelled({"job": "node"}, first={"service": "search_v2"}), "shop", "search_v2"),
        (labelled({"job": "node"}), "shop-payments", "shop-payments"),
        (labelled({"job": "node_exporter"}), None, "node_exporter"),
        (labelled({"service": "", "job": "Node Exporter"}), None, "node-exporter"),
        (labelled({"service": "___"}), "Shop Payments (EU)", "shop-payments-eu"),
        (labelled({"alertname": "Watchdog"}), None, "unknown"),
    ],
    ids=["common", "group", "first-alert", "default", "job", "blank-service", "unusable-service", "unknown"],
)
def test_service(body: dict[str, Any], default_service: str | None, service: str) -> None:
    assert translate(body, default_service)[0].service == service


@pytest.mark.parametrize(
    ("severity", "urgency", "impact"),
    [
        ("critical", Urgency.HIGH, Impact.MANY_USERS),
        ("page", Urgency.HIGH, Impact.SINGLE_USER),
        ("error", Urgency.HIGH, Impact.SINGLE_USER),
        ("warning", Urgency.MEDIUM, Impact.SOME_USERS),
        ("info", Urgency.LOW, Impact.SINGLE_USER),
        ("none", Urgency.LOW, Impact.SINGLE_USER),
        ("CRITICAL", Urgency.HIGH, Impact.MANY_USERS),
        ("sev1", Urgency.LOW, Impact.SINGLE_USER),
        (None, Urgency.LOW, Impact.SINGLE_USER),
    ],
)
def test_urgency_and_impact_from_severity(severity: str | None, urgency: Urgency, impact: Impact) -> None:
    labels = {"alertname": "HighLatency"} | ({"severity": severity} if severity else {})
    report = translate(labelled(labels))[0]
    assert (report.urgency, report.impact) == (urgency, impact)


@pytest.mark.parametrize(
    ("labels", "impact", "category"),
    [
        ({"impact": "all_users", "category": "network_problem"}, Impact.ALL_USERS, Category.NETWORK_PROBLEM),
        ({"impact": "Some_Users", "category": "Server_Downtime"}, Impact.SOME_USERS, Category.SERVER_DOWNTIME),
        ({"impact": "everyone", "category": "outage"}, Impact.MANY_USERS, Category.APPLICATION_ERROR),
    ],
)
def test_impact_and_category_labels(labels: dict[str, str], impact: Impact, category: Category) -> None:
    report = translate(labelled({"severity": "critical", **labels}))[0]
    assert (report.impact, report.category) == (impact, category)


@pytest.mark.parametrize(
    ("annotations", "labels", "title"),
    [
        ({"summary": "  Disk almost full  "}, {"alertname": "DiskFull"}, "Disk almost full"),
        ({"summary": "x" * 250}, {"alertname": "DiskFull"}, "x" * 200),
        ({"summary": "ok"}, {"alertname": "DiskFull", "service": "db"}, "DiskFull on db"),
        ({}, {"alertname": "DiskFull", "service": "db"}, "DiskFull on db"),
        ({}, {"service": "db"}, "Alert on db"),
        ({}, {"alertname": "A" * 210, "service": "db"}, "A" * 200),
    ],
)
def test_title(annotations: dict[str, str], labels: dict[str, str], title: str) -> None:
    body = labelled(labels, first=labels) | {"commonAnnotations": annotations}
    report, trigger = translate(body)
    assert (report.title, trigger.summary) == (title, title)


@pytest.mark.parametrize(
    ("annotations", "generator_url", "description"),
    [
        ({"description": "Disk is 95% full."}, "http://prom/graph", "Disk is 95% full.\n\nSource: http://prom/graph"),
        ({"description": "Disk is 95% full."}, "", "Disk is 95% full."),
        ({}, "http://prom/graph", "Source: http://prom/graph"),
        ({}, "", ""),
        ({"description": "d" * 25_000}, "http://prom/graph", "d" * 20_000),
    ],
)
def test_description(annotations: dict[str, str], generator_url: str, description: str) -> None:
    alerts = [{**EXAMPLE["alerts"][0], "generatorURL": generator_url}]
    assert translate(webhook(commonAnnotations=annotations, alerts=alerts))[0].description == description


def test_labels_are_kept_within_the_report_limits() -> None:
    common = {f"label{number:02d}": "v" for number in range(70)}
    common |= {"long": "x" * 1500, "n" * 101: "name too long"}
    report = translate(labelled(common))[0]
    expected = {f"label{number:02d}": "v" for number in range(64)}
    assert report.labels == expected
    assert translate(labelled({"long": "x" * 1500}))[0].labels == {"long": "x" * 1000}


def test_an_alert_without_fingerprint_gets_one_from_its_sorted_labels() -> None:
    first, second = (copy.deepcopy(alert) for alert in EXAMPLE["alerts"])
    del first["fingerprint"]
    second["fingerprint"] = ""
    second["labels"] = dict(reversed(list(first["labels"].items())))
    trigger = translate(webhook(alerts=[first, second]))[1]
    assert [alert.model_dump() for alert in trigger.alerts] == [
        {"fingerprint": "369aef52c4d857ba", "firing": True},
        {"fingerprint": "369aef52c4d857ba", "firing": True},
    ]


def test_the_derived_fingerprint_depends_on_every_label() -> None:
    body = AlertmanagerWebhook.model_validate(webhook())
    alert = body.alerts[0].model_copy(update={"fingerprint": ""})
    other = alert.model_copy(update={"labels": {**alert.labels, "instance": "checkout-3:8080"}})
    assert (alert_fingerprint(alert), alert_fingerprint(other)) == ("369aef52c4d857ba", "ef913666b665188f")


def test_a_long_group_key_is_hashed_into_the_dedup_key() -> None:
    group_key = "{}/" + "x" * 300
    report, trigger = translate(webhook(groupKey=group_key))
    expected = "alertmanager:prom-eu:sha256:f179407789e8b9db75f2e39e64d0538fe03a3a1550b3e78831ee472edb086759"
    assert (report.dedup_key, trigger.dedup_key) == (expected, expected)


def test_newer_fields_are_tolerated_and_kept() -> None:
    alerts = [{**EXAMPLE["alerts"][0], "silenceURL": "http://am/silence", "values": {"A": 2.5}}]
    body = webhook(truncatedAlerts=5, orgId=1, alerts=alerts)
    report, trigger = translate(body)
    assert trigger.payload["truncatedAlerts"] == 5
    assert trigger.payload["orgId"] == 1
    assert trigger.payload["alerts"][0]["silenceURL"] == "http://am/silence"
    assert trigger.payload["alerts"][0]["values"] == {"A": 2.5}
    assert report.title == "Checkout p99 latency above 2s"


def test_only_the_required_fields() -> None:
    body = {
        "version": "4",
        "groupKey": "{}:{}",
        "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "Watchdog", "severity": "none"}}],
    }
    report, trigger = translate(body)
    assert report.model_dump() == {
        "title": "Watchdog on unknown",
        "description": "",
        "service": "unknown",
        "category": Category.APPLICATION_ERROR,
        "source": Source.MONITORING,
        "impact": Impact.SINGLE_USER,
        "urgency": Urgency.LOW,
        "reporter": "alertmanager:prom-eu",
        "on_behalf_of": None,
        "dedup_key": "alertmanager:prom-eu:{}:{}",
        "labels": {},
        "occurred_at": None,
    }
    assert trigger.model_dump() == {
        "source": "alertmanager",
        "dedup_key": "alertmanager:prom-eu:{}:{}",
        "summary": "Watchdog on unknown",
        "payload": {
            "version": "4",
            "groupKey": "{}:{}",
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "",
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "Watchdog", "severity": "none"},
                    "annotations": {},
                    "startsAt": None,
                    "endsAt": None,
                    "generatorURL": "",
                    "fingerprint": "",
                }
            ],
        },
        "alerts": [{"fingerprint": "abffda612b53cc88", "firing": True}],
        "auto_resolve": True,
        "integration": "prom-eu",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (webhook(version=4), "version: Input should be '4'"),
        (webhook(version="3"), "version: Input should be '4'"),
        (webhook(version=None), "version: Field required"),
        (webhook(groupKey=None), "groupKey: Field required"),
        (webhook(groupKey=""), "groupKey: String should have at least 1 character"),
        (webhook(status="pending"), "status: Input should be 'firing' or 'resolved'"),
        (webhook(alerts="HighLatency"), "alerts: Input should be a valid list"),
        (webhook(alerts=[]), "alerts: List should have at least 1 item after validation, not 0"),
        (webhook(alerts=None), "alerts: Field required"),
        (webhook(commonLabels=["service"]), "commonLabels: Input should be a valid dictionary"),
        (webhook(truncatedAlerts=-1), "truncatedAlerts: Input should be greater than or equal to 0"),
        (webhook(alerts=[{"labels": {}}]), "alerts.0.status: Field required"),
        (webhook(alerts=[{"status": "firing"}]), "alerts.0.labels: Field required"),
        (webhook(alerts=[{"status": "firing", "labels": {"port": 8080}}]),
         "alerts.0.labels.port: Input should be a valid string"),
        (webhook(alerts=[{"status": "firing", "labels": {}, "startsAt": "2026-03-02T10:05:00"}]),
         "alerts.0.startsAt: Input should have timezone info"),
        (webhook(alerts=[{"status": "firing", "labels": {}, "fingerprint": "f" * 201}]),
         "alerts.0.fingerprint: String should have at most 200 characters"),
    ],
)  # fmt: skip
def test_a_bad_webhook_names_the_field(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        AlertmanagerWebhook.model_validate(body)
    assert format_validation_error(refused.value) == message
