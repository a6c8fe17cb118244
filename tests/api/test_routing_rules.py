"""Routing rules on real intake: an alert's labels pick the team, and the incident says which rule did."""

from __future__ import annotations

from typing import Any

from adapters.incident_client import get_status
from tests.support.gateway import ALERTMANAGER_KEY, Api, bearer, keyed_id, new_key


def security_alert(group_key: str, team: str) -> dict[str, Any]:
    labels = {"alertname": "PartnerAuthFailures", "severity": "critical", "service": "bank-partner-api", "team": team}
    return {
        "version": "4",
        "groupKey": group_key,
        "status": "firing",
        "receiver": "incidents",
        "groupLabels": {"alertname": "PartnerAuthFailures"},
        "commonLabels": labels,
        "commonAnnotations": {"summary": "Partner API refuses valid credentials"},
        "alerts": [{"status": "firing", "labels": labels, "fingerprint": "f1"}],
    }


async def test_an_alert_labelled_for_security_is_routed_by_the_rule(api: Api) -> None:
    key = new_key()
    response = await api.http.post(
        "/v1/integrations/alertmanager", json=security_alert(key, "security"), headers=bearer(ALERTMANAGER_KEY)
    )
    assert response.status_code == 202
    view = await get_status(api.client, keyed_id(f"alertmanager:prometheus:{key}"))
    assert (view.service, view.team, view.escalation_policy, view.routing_rule) == (
        "bank-partner-api",
        "bank-security",
        "bank-partner-critical",
        "bank-security-alerts",
    )
    routed = next(entry for entry in view.timeline if entry.kind == "incident.routed")
    assert routed.message == (
        "routing rule 'bank-security-alerts' (service = 'bank-partner-api', labels.team = 'security') "
        "sends it to team 'bank-security'; escalation policy 'bank-partner-critical'"
    )


async def test_an_alert_no_rule_matches_goes_to_the_service_owner(api: Api) -> None:
    key = new_key()
    response = await api.http.post(
        "/v1/integrations/alertmanager", json=security_alert(key, "payments"), headers=bearer(ALERTMANAGER_KEY)
    )
    assert response.status_code == 202
    view = await get_status(api.client, keyed_id(f"alertmanager:prometheus:{key}"))
    assert (view.team, view.escalation_policy, view.routing_rule) == (
        "bank-integrations",
        "bank-partner-critical",
        None,
    )
