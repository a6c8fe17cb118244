"""``POST /v1/incidents/{id}/roles`` against the dev server: assignment, hand-over, and what is refused."""

from __future__ import annotations

from tests.support.gateway import API_KEY, PAYMENTS_REPORT, RESPONDERS, Api, bearer

AMARA, BRUNO = (bearer(RESPONDERS[user]) for user in ("amara", "bruno"))


async def test_roles_are_given_and_handed_over(api: Api) -> None:
    reported = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
    url = f"/v1/incidents/{reported.json()['incident_id']}"
    given = await api.http.post(f"{url}/roles", json={"role": "commander", "user": "kofi"}, headers=AMARA)
    assert (given.status_code, given.json()["status"]) == (200, "triggered")
    again = await api.http.post(f"{url}/roles", json={"role": "commander", "user": "kofi"}, headers=AMARA)
    assert (again.status_code, again.json()) == (
        409,
        {"error": "cannot assign the role: kofi is already the commander"},
    )
    unknown = await api.http.post(f"{url}/roles", json={"role": "commander", "user": "zed"}, headers=AMARA)
    assert (unknown.status_code, unknown.json()) == (
        409,
        {"error": "cannot make 'zed' the commander: not a user in the catalog"},
    )
    bad_role = await api.http.post(f"{url}/roles", json={"role": "captain", "user": "kofi"}, headers=AMARA)
    assert (bad_role.status_code, [d["field"] for d in bad_role.json()["details"]]) == (422, ["role"])
    handed = await api.http.post(f"{url}/roles", json={"role": "commander", "user": "lena"}, headers=BRUNO)
    assert handed.status_code == 200
    view = (await api.http.get(url, headers=AMARA)).json()
    assert view["roles"] == {"commander": "lena"}
    assert [(e["actor"], e["message"]) for e in view["timeline"] if e["kind"] == "role.assigned"] == [
        ("amara", "kofi is the commander (assigned by amara)"),
        ("bruno", "commander handed over from kofi to lena by bruno"),
    ]


async def test_repolicy_on_the_catalog_it_was_classified_with_is_refused(api: Api) -> None:
    reported = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
    url = f"/v1/incidents/{reported.json()['incident_id']}"
    moved = await api.http.post(f"{url}/repolicy", headers=AMARA)
    assert moved.status_code == 409
    assert moved.json()["error"].startswith(
        "cannot move it: it is already on policy 'payments-critical' of the current"
    )


async def test_status_updates_and_subscribing(api: Api) -> None:
    reported = await api.http.post("/v1/incidents", json=PAYMENTS_REPORT, headers=bearer(API_KEY))
    url = f"/v1/incidents/{reported.json()['incident_id']}"
    assert (await api.http.post(f"{url}/subscribe", headers=BRUNO)).status_code == 200
    again = await api.http.post(f"{url}/subscribe", headers=BRUNO)
    assert (again.status_code, again.json()) == (
        409,
        {"error": "bruno is already told of this incident's status updates"},
    )
    posted = await api.http.post(
        f"{url}/updates", json={"state": "investigating", "message": "looking at the card processor"}, headers=AMARA
    )
    assert posted.status_code == 200
    bad = await api.http.post(f"{url}/updates", json={"state": "fixed", "message": "x"}, headers=AMARA)
    assert (bad.status_code, [d["field"] for d in bad.json()["details"]]) == (422, ["state"])
    view = (await api.http.get(url, headers=AMARA)).json()
    assert view["stakeholders"] == ["dana", "bruno"]
    assert [(u["by"], u["state"], u["told"]) for u in view["updates"]] == [
        ("amara", "investigating", ["dana", "bruno"])
    ]
