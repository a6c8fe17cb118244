"""Control characters and numbers for dates in the monitoring formats: removed rather than losing a page; dates as
ISO 8601 text only."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from pydantic import ValidationError

from domain.intake.alertmanager import AlertmanagerWebhook, alertmanager_trigger
from domain.intake.common import incident_key, report_labels
from domain.intake.pagerduty import PagerDutyTrigger, pagerduty_errors, pagerduty_trigger, parse_pagerduty_event
from domain.models import format_validation_error

NOT_A_DATE = "must be an ISO 8601 date and time with a time zone, such as 2026-11-28T06:00:00Z: a number is not a date"


def alert(**changes: Any) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": "HighLatency"},
        "startsAt": "2026-03-02T10:05:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.com:9090/graph",
        "fingerprint": "948c667b1fc76492",
    } | changes


def notification(**changes: Any) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighLatency"}',
        "status": "firing",
        "commonLabels": {"alertname": "HighLatency", "severity": "critical"},
        "commonAnnotations": {"summary": "Checkout p99 latency above 2s"},
        "alerts": [alert()],
    } | changes


def pagerduty_event(**payload_changes: Any) -> dict[str, Any]:
    payload = {"summary": "DISK at 99% on prod-datapipe03", "source": "prod-datapipe03", "severity": "critical"}
    return {"routing_key": "R" * 32, "event_action": "trigger", "payload": payload | payload_changes}


# ---- shared helpers --------------------------------------------------------------------------------------------


def test_labels_lose_their_control_characters() -> None:
    assert report_labels({"re\x00gion": "eu\nwest\x1b", " team\t": "pay\x07ments ", "\x00": "dropped"}) == {
        "region": "eu west",
        "team": "payments",
    }


def test_a_key_with_a_control_character_is_hashed() -> None:
    key = "group\x00key"
    assert incident_key("alertmanager", "prom", key) == (
        f"alertmanager:prom:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    )
    assert incident_key("alertmanager", "prom", "group key") == "alertmanager:prom:group key"


# ---- Alertmanager ----------------------------------------------------------------------------------------------


def test_alertmanager_control_characters_are_removed_not_refused() -> None:
    payload = AlertmanagerWebhook.model_validate(
        notification(
            groupKey='{}:{alertname="High\x00Latency"}',
            commonLabels={"alertname": "HighLatency", "severity": "critical", "team": "pay\x1bments"},
            commonAnnotations={
                "summary": "Checkout\x07 p99\nlatency \x1b[31mabove 2s",
                "description": "line one\r\n\x00line two\tend",
            },
            alerts=[alert(generatorURL="http://prometheus.example.com:9090/graph\x00")],
        )
    )

    report, trigger = alertmanager_trigger(payload, "prom", "shop-payments", True)

    key = f"alertmanager:prom:sha256:{hashlib.sha256(payload.group_key.encode()).hexdigest()}"
    assert (report.title, report.description, report.labels, report.dedup_key) == (
        "Checkout p99 latency [31mabove 2s",
        "line one\nline two\tend\n\nSource: http://prometheus.example.com:9090/graph",
        {"alertname": "HighLatency", "severity": "critical", "team": "payments"},
        key,
    )
    assert (trigger.summary, trigger.dedup_key) == ("Checkout p99 latency [31mabove 2s", key)


def test_alertmanager_a_summary_of_control_characters_only_falls_back_to_the_alertname() -> None:
    payload = AlertmanagerWebhook.model_validate(notification(commonAnnotations={"summary": "\x00\x07\x1b\x7f"}))

    report, _ = alertmanager_trigger(payload, "prom", "shop-payments", True)

    assert report.title == "HighLatency on shop-payments"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"startsAt": 0}, f"alerts.0.startsAt: {NOT_A_DATE}"),
        ({"startsAt": "0"}, f"alerts.0.startsAt: {NOT_A_DATE}"),
        ({"startsAt": 1764316800.25}, f"alerts.0.startsAt: {NOT_A_DATE}"),
        ({"endsAt": 0}, f"alerts.0.endsAt: {NOT_A_DATE}"),
        ({"startsAt": "2026-03-02T10:05:00"}, "alerts.0.startsAt: Input should have timezone info"),
    ],
)
def test_alertmanager_a_number_is_not_a_date(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        AlertmanagerWebhook.model_validate(notification(alerts=[alert(**changes)]))
    assert format_validation_error(refused.value) == message


# ---- PagerDuty -------------------------------------------------------------------------------------------------


def test_pagerduty_control_characters_are_removed_not_refused() -> None:
    event = parse_pagerduty_event(
        pagerduty_event(
            summary="DISK\x07 at 99%\non prod\x1b[0m",
            source="prod\x00-datapipe03",
            group="prod\r\ndatapipe",
            custom_details="free\x00 space:\r\n1%",
        )
        | {"dedup_key": "srv01\x00mysql"}
    )
    assert isinstance(event, PagerDutyTrigger)

    report, trigger = pagerduty_trigger(event, "pd-main", None, "generated")

    key = "pagerduty:pd-main:sha256:" + hashlib.sha256(b"srv01\x00mysql").hexdigest()
    assert (report.title, report.service, report.labels, report.dedup_key) == (
        "DISK at 99% on prod[0m",
        "prod--datapipe03",  # the service's own rule: a character outside a-z 0-9 . _ - becomes "-"
        {"group": "prod datapipe", "source": "prod-datapipe03"},
        key,
    )
    assert report.description == "Source: prod-datapipe03\nGroup: prod\ndatapipe\n\nDetails:\nfree space:\n1%"
    assert (trigger.summary, trigger.dedup_key) == ("DISK at 99% on prod[0m", key)


@pytest.mark.parametrize("timestamp", [0, 1437122578, 1437122578.5, "0", "1437122578"])
def test_pagerduty_a_number_is_not_a_timestamp(timestamp: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_pagerduty_event(pagerduty_event(timestamp=timestamp))
    assert pagerduty_errors(refused.value) == ["'payload.timestamp' is invalid (must be an ISO 8601 timestamp)"]
