"""``incidents snooze``: a subprocess against the dev server, with a worker of this process (see test_cli)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from tests.support.cli import Cli, Outcome, clean_environment, free_port, incidents, report_payments


async def test_snooze_acknowledges_and_status_shows_until_when(cli: Cli) -> None:
    incident_id = await report_payments(cli)

    snoozed = await cli("snooze", incident_id, "--by", "amara", "--for", "30m", "--reason", "deploying the fix")
    assert snoozed == Outcome(0, f"{incident_id} acknowledged P1 assignee=amara level=1\n", "")

    outcome = await cli("status", incident_id, "--json")
    view = json.loads(outcome.stdout)
    entry = next(e for e in view["timeline"] if e["kind"] == "incident.snoozed")
    snoozed_at = datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(view["snoozed_until"].replace("Z", "+00:00"))
    assert (view["status"], view["assignee"], until - snoozed_at) == ("acknowledged", "amara", timedelta(minutes=30))
    assert entry["actor"] == "amara"

    text = await cli("status", incident_id)
    assert f"snoozed:     until {until.strftime('%Y-%m-%d %H:%M:%S')} UTC\n" in text.stdout


async def test_a_snooze_longer_than_the_policy_allows_is_refused_with_the_reason(cli: Cli) -> None:
    incident_id = await report_payments(cli)
    refused = await cli("snooze", incident_id, "--by", "amara", "--for", "2d")
    assert refused == Outcome(1, "", "error: cannot snooze for 2d: policy 'payments-critical' allows at most 1d\n")
    resolved = await cli("resolve", incident_id, "--by", "amara", "--root-cause", "bad deploy", "--summary", "rollback")
    assert resolved.code == 0


async def test_a_bad_duration_is_refused_before_connecting() -> None:
    # Nothing listens on the address: exit 2 shows the request was refused before any connection.
    env = clean_environment(TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}")
    short = await incidents("snooze", "INC-ABCDEF1234", "--by", "amara", "--for", "30s", env=env)
    assert short == Outcome(2, "", "error: duration: Value error, a snooze lasts at least 1m\n")
    vague = await incidents("snooze", "INC-ABCDEF1234", "--by", "amara", "--for", "a while", env=env)
    assert vague == Outcome(
        2, "", "error: duration: Value error, 'a while' is not a duration; write it like 90s, 5m, 1h30m or 3d\n"
    )
