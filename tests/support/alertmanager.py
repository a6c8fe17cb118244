"""Alertmanager webhook bodies as Alertmanager sends them, and the gateway's answers to them."""

from __future__ import annotations

from typing import Any

from tests.support.gateway import (
    PUBLIC_URL,
    new_key,
)

IGNORED = {
    "incident_id": None,
    "status": None,
    "priority": None,
    "triggers": 0,
    "opened": False,
    "url": None,
    "ignored": "every alert of the notification is resolved and no incident is open for its group; nothing was opened",
}


def alert(fingerprint: str, status: str = "firing") -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "CheckoutErrors", "severity": "critical", "instance": fingerprint},
        "annotations": {"summary": "Checkout error rate above 20%"},
        "startsAt": "2026-11-28T06:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-28T06:30:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=checkout_errors",
        "fingerprint": fingerprint,
    }


def notification(group_key: str, *alerts: dict[str, Any]) -> dict[str, Any]:
    firing = any(item["status"] == "firing" for item in alerts)
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "incidents",
        "groupLabels": {"alertname": "CheckoutErrors"},
        "commonLabels": {"alertname": "CheckoutErrors", "severity": "critical"},
        "commonAnnotations": {"summary": "Checkout error rate above 20%"},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    }


def group_key() -> str:
    return '{}:{alertname="CheckoutErrors", run="' + new_key() + '"}'


def answer(incident_id: str, status: str, triggers: int, opened: bool) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "status": status,
        "priority": "P1",
        "triggers": triggers,
        "opened": opened,
        "url": f"{PUBLIC_URL}/v1/incidents/{incident_id}",
        "ignored": None,
    }
