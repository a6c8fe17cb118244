"""``incidents role`` as people run it, against a real dev server."""

from __future__ import annotations

import json

from tests.support.cli import Cli, Outcome, report_payments


async def test_give_a_role_and_hand_it_over(cli: Cli) -> None:
    incident_id = await report_payments(cli)
    given = await cli("role", incident_id, "commander", "kofi", "--by", "amara")
    assert given == Outcome(0, f"{incident_id} triggered P1 assignee=- level=1\n", "")
    refused = await cli("role", incident_id, "commander", "kofi", "--by", "amara")
    assert refused == Outcome(1, "", "error: cannot assign the role: kofi is already the commander\n")
    await cli("role", incident_id, "scribe", "bruno", "--by", "kofi")
    shown = await cli("status", incident_id)
    assert "roles:       commander kofi, scribe bruno" in shown.stdout.splitlines()
    view = json.loads((await cli("status", incident_id, "--json")).stdout)
    assert view["roles"] == {"commander": "kofi", "scribe": "bruno"}
    bad = await cli("role", incident_id, "captain", "kofi", "--by", "amara")
    assert (bad.code, "'captain' is not one of 'commander', 'scribe', 'communications'" in bad.stderr) == (2, True)


async def test_repolicy_names_the_policy_it_is_already_on(cli: Cli) -> None:
    incident_id = await report_payments(cli)
    moved = await cli("repolicy", incident_id, "--by", "amara")
    assert (
        moved.code,
        moved.stderr.startswith("error: cannot move it: it is already on policy 'payments-critical'"),
    ) == (
        1,
        True,
    )


async def test_post_a_status_update_and_subscribe(cli: Cli) -> None:
    incident_id = await report_payments(cli)
    assert (await cli("subscribe", incident_id, "--by", "lena")).code == 0
    posted = await cli(
        "update", incident_id, "--state", "monitoring", "--message", "fix deployed, watching errors", "--by", "kofi"
    )
    assert posted == Outcome(0, f"{incident_id} triggered P1 assignee=- level=1\n", "")
    view = json.loads((await cli("status", incident_id, "--json")).stdout)
    assert [(u["state"], u["told"]) for u in view["updates"]] == [("monitoring", ["dana", "lena"])]
