"""The review, action item and close routes against the dev server, with a worker on the shipped catalog (a resolved
P1 stays open 1h to be reopened and needs a review)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.gateway import API_KEY, PAYMENTS_REPORT, RESPONDERS, Api, bearer
from workflows.incident import IncidentWorkflow

AMARA, BRUNO = (bearer(RESPONDERS[user]) for user in ("amara", "bruno"))
REQUIRED = {
    "summary": "Card payments failed for 10 minutes.",
    "customer_impact": "All checkout attempts failed.",
    "lessons": "Canary the payment service.",
}


async def test_review_action_items_and_close_through_the_api(shipped_api: Api) -> None:
    api = shipped_api
    reported = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
    incident_id = reported.json()["incident_id"]
    url = f"/v1/incidents/{incident_id}"
    early = await api.http.post(f"{url}/review", json={"section": "summary", "text": "x"}, headers=AMARA)
    assert (early.status_code, early.json()) == (
        409,
        {"error": "there is no review: the incident is not resolved yet, or its policy requires none"},
    )
    await api.http.post(f"{url}/resolve", json={"summary": "rolled back", "root_cause": "bad deploy"}, headers=AMARA)
    due = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    added = await api.http.post(
        f"{url}/actions", json={"owner": "bruno", "due": due.isoformat(), "text": "add a canary stage"}, headers=AMARA
    )
    assert (added.status_code, added.json()["status"]) == (200, "resolved")
    past = await api.http.post(
        f"{url}/actions", json={"owner": "bruno", "due": "2020-01-01T00:00:00Z", "text": "x"}, headers=AMARA
    )
    assert (past.status_code, past.json()) == (
        409,
        {"error": "cannot add the action item: its due date 2020-01-01 00:00:00 UTC is not in the future"},
    )
    naive = await api.http.post(
        f"{url}/actions", json={"owner": "bruno", "due": "2030-01-01T00:00:00", "text": "x"}, headers=AMARA
    )
    assert (naive.status_code, [d["field"] for d in naive.json()["details"]]) == (422, ["due"])
    refused = await api.http.post(f"{url}/close", headers=BRUNO)
    assert refused.status_code == 409
    assert refused.json()["error"].startswith(
        "cannot close: still open: the review (sections still empty: summary, customer_impact, lessons); "
        "action item 1 (bruno, due "
    )
    incomplete = await api.http.post(f"{url}/review/complete", headers=AMARA)
    assert (incomplete.status_code, incomplete.json()) == (
        409,
        {"error": "cannot complete the review: required sections still empty: summary, customer_impact, lessons"},
    )
    for section, text in REQUIRED.items():
        written = await api.http.post(f"{url}/review", json={"section": section, "text": text}, headers=AMARA)
        assert written.status_code == 200
    assert (await api.http.post(f"{url}/review/complete", headers=AMARA)).status_code == 200
    deferred = await api.http.post(f"{url}/actions/1/defer", json={"reason": "next quarter"}, headers=BRUNO)
    assert deferred.status_code == 200
    missing = await api.http.post(f"{url}/actions/2/done", headers=BRUNO)
    assert (missing.status_code, missing.json()) == (409, {"error": "there is no action item 2: the incident has 1"})
    view = (await api.http.get(url, headers=AMARA)).json()
    assert (view["review"]["completed_by"], view["actions"][0]["state"], view["closing_needs"]) == (
        "amara",
        "deferred",
        [],
    )
    closed = await api.http.post(f"{url}/close", headers=BRUNO)  # nothing left: the reopen window is cut short
    assert (closed.status_code, closed.json()["status"]) == (200, "resolved")
    record = await api.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
    assert (record.review is not None, record.root_cause, [a.reason for a in record.actions]) == (
        True,
        "bad deploy",
        ["next quarter"],
    )
    assert [e.message for e in record.timeline if e.kind == "incident.close_requested"] == ["closed by bruno"]
