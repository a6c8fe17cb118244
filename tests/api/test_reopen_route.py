"""``POST /v1/incidents/{id}/reopen`` against the dev server, with a worker on the shipped catalog (a resolved incident
stays open for 1h to be reopened)."""

from __future__ import annotations

from tests.support.gateway import (
    API_KEY,
    PAYMENTS_REPORT,
    RESPONDERS,
    Api,
    bearer,
)

AMARA, BRUNO = (bearer(RESPONDERS[user]) for user in ("amara", "bruno"))


async def test_a_responder_reopens_a_resolved_incident(shipped_api: Api) -> None:
    api = shipped_api
    reported = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
    url = f"/v1/incidents/{reported.json()['incident_id']}"
    early = await api.http.post(f"{url}/reopen", json={"reason": "errors again"}, headers=AMARA)
    assert (early.status_code, early.json()) == (
        409,
        {"error": "cannot reopen: the incident is triggered, not resolved"},
    )
    resolved = await api.http.post(f"{url}/resolve", json={"summary": "restarted", "root_cause": "leak"}, headers=AMARA)
    assert (resolved.status_code, resolved.json()["status"]) == (200, "resolved")
    view = (await api.http.get(url, headers=BRUNO)).json()
    assert (view["status"], view["reopens"], view["reopen_until"] is not None) == ("resolved", 0, True)

    missing = await api.http.post(f"{url}/reopen", json={}, headers=BRUNO)
    assert (missing.status_code, missing.json()) == (
        422,
        {
            "error": "the request is invalid: reason: Field required",
            "details": [{"field": "reason", "problem": "Field required"}],
        },
    )
    actor = await api.http.post(f"{url}/reopen", json={"reason": "x", "by": "amara"}, headers=BRUNO)
    assert (actor.status_code, actor.json()["details"]) == (
        422,
        [{"field": "by", "problem": "Extra inputs are not permitted"}],
    )
    reopened = await api.http.post(f"{url}/reopen", json={"reason": "checkout errors are back"}, headers=BRUNO)
    assert (reopened.status_code, reopened.json()["status"], reopened.json()["escalation_level"]) == (
        200,
        "triggered",
        1,
    )
    view = (await api.http.get(url, headers=BRUNO)).json()
    reopened_entries = [(e["actor"], e["message"]) for e in view["timeline"] if e["kind"] == "incident.reopened"]
    assert (view["status"], view["reopens"], view["reopen_until"]) == ("triggered", 1, None)
    assert reopened_entries == [("bruno", "reopened by bruno: checkout errors are back")]
