"""Over HTTP: control characters and numbers for dates are a 422 naming the field; Alertmanager's control
characters are removed so that its page is not lost."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.incident_client import get_status
from tests.support.gateway import (
    ALERTMANAGER_KEY,
    API_KEY,
    PAYMENTS_REPORT,
    RESPONDERS,
    Api,
    bearer,
    count_started,
    new_key,
)

ONE_LINE = "must not contain control characters or line breaks"
NOT_A_DATE = "must be an ISO 8601 date and time with a time zone, such as 2026-11-28T06:00:00Z: a number is not a date"


def invalid(*details: tuple[str, str]) -> dict[str, Any]:
    """The 422 body: the first problem in ``error``, every one in ``details``."""
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    field, problem = details[0]
    return {
        "error": f"the request is invalid: {field}: {problem}{more}",
        "details": [{"field": field, "problem": problem} for field, problem in details],
    }


def alertmanager_body(group_key: str, summary: str = "Checkout error rate above 20%", **alert: Any) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": group_key,
        "status": "firing",
        "commonLabels": {"alertname": "CheckoutErrors", "severity": "critical"},
        "commonAnnotations": {"summary": summary},
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "CheckoutErrors", "severity": "critical"},
                "startsAt": "2026-11-28T06:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "0123456789abcdef",
            }
            | alert
        ],
    }


@pytest.mark.parametrize(
    ("changes", "details"),
    [
        ({"occurred_at": 0}, [("occurred_at", NOT_A_DATE)]),
        ({"occurred_at": 1764316800.5}, [("occurred_at", NOT_A_DATE)]),
        ({"occurred_at": "1764316800"}, [("occurred_at", NOT_A_DATE)]),
        ({"title": "Payments\x00 failing"}, [("title", f"{ONE_LINE} (found U+0000)")]),
        ({"title": "Payments \x1b[31mfailing\x07"}, [("title", f"{ONE_LINE} (found U+001B)")]),
        ({"title": "Payments failing\r\nBcc: all@shop.example"}, [("title", f"{ONE_LINE} (found U+000D)")]),
        ({"dedup_key": "chk\x00"}, [("dedup_key", f"{ONE_LINE} (found U+0000)")]),
        (
            {"description": "fine\nfine\tfine\x1b"},
            [("description", "must not contain control characters other than line feed and tab (found U+001B)")],
        ),
        (
            {"labels": {"region": "eu\x07"}},
            [("labels", f"Value error, label 'region' {ONE_LINE} (found U+0007)")],
        ),
        (
            {"title": "Pay\x07ments", "occurred_at": 0},
            [("title", f"{ONE_LINE} (found U+0007)"), ("occurred_at", NOT_A_DATE)],
        ),
    ],
)
async def test_a_report_with_a_control_character_or_a_number_for_a_date_is_422(
    api: Api, changes: dict[str, Any], details: list[tuple[str, str]]
) -> None:
    response = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT | changes, headers=bearer(API_KEY))

    assert (response.status_code, response.json()) == (422, invalid(*details))
    assert await count_started(api.client, api.task_queue) == 0


@pytest.mark.parametrize(
    ("alert", "field"),
    [
        ({"startsAt": 0}, "alerts.0.startsAt"),
        ({"startsAt": "0"}, "alerts.0.startsAt"),
        ({"endsAt": 0}, "alerts.0.endsAt"),
    ],
)
async def test_alertmanager_a_number_for_a_date_is_422(api: Api, alert: dict[str, Any], field: str) -> None:
    body = alertmanager_body(new_key(), **alert)

    response = await api.http.post("/v1/integrations/alertmanager", json=body, headers=bearer(ALERTMANAGER_KEY))

    assert (response.status_code, response.json()) == (422, invalid((field, NOT_A_DATE)))
    assert await count_started(api.client, api.task_queue) == 0


async def test_alertmanager_control_characters_are_removed_and_the_incident_opens(api: Api) -> None:
    body = alertmanager_body(new_key(), summary="Checkout\x00 error rate\x1b[31m above 20%\x07\nsee runbook")

    response = await api.http.post("/v1/integrations/alertmanager", json=body, headers=bearer(ALERTMANAGER_KEY))

    assert (response.status_code, response.json()["opened"]) == (202, True)
    view = await get_status(api.client, response.json()["incident_id"])
    assert view.title == "Checkout error rate[31m above 20% see runbook"


@pytest.mark.parametrize(
    ("path", "body", "field", "character"),
    [
        ("notes", {"text": "restarted the gateway\x1b[2J"}, "text", "U+001B"),
        ("resolve", {"summary": "failed over\x00", "root_cause": "cert"}, "summary", "U+0000"),
        ("resolve", {"summary": "failed over", "root_cause": "cert\x07"}, "root_cause", "U+0007"),
        ("escalate", {"reason": "nobody \x1b answers"}, "reason", "U+001B"),
        ("reassign", {"to": "bru\nno", "reason": "handover"}, "to", "U+000A"),
    ],
)
async def test_control_characters_in_a_responders_text_are_refused_naming_the_field(
    api: Api, path: str, body: dict[str, str], field: str, character: str
) -> None:
    answer = await api.http.post(f"/v1/incidents/INC-NOPE/{path}", json=body, headers=bearer(RESPONDERS["amara"]))
    assert answer.status_code == 422
    assert [d["field"] for d in answer.json()["details"]] == [field]
    assert character in answer.json()["details"][0]["problem"]
