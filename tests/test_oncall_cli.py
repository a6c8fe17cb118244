"""``incidents oncall``: who is on call in the example catalog's schedules, as text and JSON, and bad arguments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.catalog_file import LoadedCatalog
from domain.incident import IncidentState, advance, classify, page_first_level, record_on_call
from domain.models import Category, Impact, IncidentReport, Source, Urgency
from domain.policy.catalog import route
from domain.policy.priority import decide_priority
from domain.policy.schedules import on_call
from domain.views.record import status_view
from starter.cli import app
from starter.output import status_text
from tests.support.cli import Outcome, clean_environment, incidents
from tests.support.settings import EXAMPLE_CATALOG, SHIPPED_CATALOG

HEADER = "SCHEDULE          ON CALL  DECIDED BY                            UNTIL (LOCAL)             UNTIL (UTC)"


def oncall(*args: str) -> Outcome:
    result = CliRunner().invoke(app, ["oncall", "--catalog", str(EXAMPLE_CATALOG), *args])
    return Outcome(result.exit_code, result.stdout, result.stderr)


def test_every_schedule_at_a_local_time() -> None:
    # 09:00 in each schedule's own zone: Berlin 08:00 UTC (amara covers bruno's week), UTC 09:00 (kofi).
    assert oncall("--at", "2026-12-24T09:00") == Outcome(
        0,
        "on call at 2026-12-24T09:00:00 local time in each schedule's zone\n"
        f"{HEADER}\n"
        "incident-command  kofi     layer follow-the-sun                  Thu 2026-12-24 19:00 UTC  "
        "2026-12-24 19:00:00 UTC\n"
        "payments-primary  amara    override 0 (covers bruno's holidays)  Sun 2026-12-27 09:00 CET  "
        "2026-12-27 08:00:00 UTC\n",
        "",
    )


@pytest.mark.parametrize(
    ("at", "when", "row"),
    [
        ("2026-11-30T07:59:00Z", "07:59", "bruno  layer weekly  Mon 2026-11-30 09:00 CET  2026-11-30 08:00:00 UTC"),
        (
            "2026-11-30T09:00:00+01:00",
            "08:00",
            "amara  layer weekly  Mon 2026-12-07 09:00 CET  2026-12-07 08:00:00 UTC",
        ),
        ("2026-11-30T08:59", "07:59", "bruno  layer weekly  Mon 2026-11-30 09:00 CET  2026-11-30 08:00:00 UTC"),
        ("2026-11-02T08:59", "07:59", "nobody  nobody on call  Mon 2026-11-02 09:00 CET  2026-11-02 08:00:00 UTC"),
    ],
)
def test_one_schedule_across_the_handoff(at: str, when: str, row: str) -> None:
    outcome = oncall("payments-primary", "--at", at)
    assert (outcome.code, outcome.stderr) == (0, "")
    lines = outcome.stdout.splitlines()
    assert lines[0] == f"on call at {at[:10]} {when}:00 UTC"
    assert len(lines) == 3
    assert lines[2].split() == ["payments-primary", *row.split()]


def test_json() -> None:
    outcome = oncall("payments-primary", "--at", "2026-12-24T08:00:00Z", "--json")
    assert (outcome.code, outcome.stderr) == (0, "")
    assert json.loads(outcome.stdout) == [
        {
            "schedule": "payments-primary",
            "name": "Payments primary",
            "time_zone": "Europe/Berlin",
            "at": "2026-12-24T08:00:00Z",
            "user": "amara",
            "layer": None,
            "override": 0,
            "reason": "covers bruno's holidays",
            "decided_by": "override 0 (covers bruno's holidays)",
            "until": "2026-12-27T08:00:00Z",
            "until_local": "2026-12-27T09:00:00+01:00",
        }
    ]


def test_a_catalog_without_schedules(tmp_path: Path) -> None:
    text = SHIPPED_CATALOG.read_text().replace("{schedule: incident-command}", "{team: incident-command}")
    path = tmp_path / "catalog.yaml"
    path.write_text(text.split("\nschedules:\n")[0] + "\nservices:\n" + text.split("\nservices:\n")[1])
    result = CliRunner().invoke(app, ["oncall", "--catalog", str(path)])
    assert (result.exit_code, result.stdout) == (0, f"no schedules in {path}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["nights"],
            "error: unknown schedule 'nights'; the catalog's schedules: incident-command, payments-primary\n",
        ),
        (
            ["--at", "next monday"],
            "error: --at: 'next monday' is not an ISO 8601 time; write e.g. 2026-12-24T09:00 (each schedule's local "
            "time) or 2026-12-24T09:00+01:00\n",
        ),
        (["--at", "2026-13-01"], "error: --at: '2026-13-01' is not an ISO 8601 time;"),
        (
            ["--at", "9999-12-31T23:00"],
            "error: --at: '9999-12-31T23:00' is too far in the past or the future to answer\n",
        ),
        (
            ["--at", "0001-01-01T00:00"],
            "error: --at: '0001-01-01T00:00' is too far in the past or the future to answer\n",
        ),
    ],
)
def test_bad_arguments_get_a_message_and_exit_2(args: list[str], message: str) -> None:
    outcome = oncall(*args)
    assert (outcome.code, outcome.stdout) == (2, "")
    assert outcome.stderr.startswith(message)


async def test_the_command_reads_the_configured_catalog_and_never_shows_a_traceback(tmp_path: Path) -> None:
    env = clean_environment()
    outcome = await incidents("oncall", "incident-command", "--at", "2026-11-30T19:00Z", env=env)
    assert outcome == Outcome(
        0,
        "on call at 2026-11-30 19:00:00 UTC\n"
        "SCHEDULE          ON CALL  DECIDED BY            UNTIL (LOCAL)             UNTIL (UTC)\n"
        "incident-command  lena     layer follow-the-sun  Tue 2026-12-01 07:00 UTC  2026-12-01 07:00:00 UTC\n",
        "",
    )
    broken = tmp_path / "catalog.yaml"
    broken.write_text(SHIPPED_CATALOG.read_text().replace("time_zone: Europe/Berlin", "time_zone: Europe/Berln"))
    outcome = await incidents("oncall", env=clean_environment(INCIDENTS_CATALOG_PATH=str(broken)))
    assert outcome == Outcome(
        1,
        "",
        f"error: {broken}: schedules.payments-primary.time_zone: unknown time zone 'Europe/Berln': use an IANA name "
        "like Europe/Berlin or UTC\n",
    )


def test_the_status_text_shows_who_was_on_call_for_the_level(catalog: LoadedCatalog) -> None:
    opened = datetime(2026, 11, 30, 18, 50, tzinfo=UTC)
    report = IncidentReport(
        title="Dashboard stale",
        service="saas-dashboard",
        category=Category.BROKEN_FEATURE,
        source=Source.TICKET,
        impact=Impact.MANY_USERS,
        urgency=Urgency.MEDIUM,
        reporter="support",
    )
    found = route(catalog.catalog, "saas-dashboard", catalog.version)
    state = IncidentState(incident_id="INC-1", report=report, opened_at=opened)
    classify(state, decide_priority(report.impact, report.urgency, found.criticality, catalog.version), found, opened)
    page_first_level(state, opened)
    fired = opened + timedelta(minutes=15)
    advance(state, fired)
    schedule = catalog.catalog.schedules["incident-command"]
    record_on_call(state, {"incident-command": on_call("incident-command", schedule, fired)}, [], fired)
    lines = status_text(status_view(state, fired), fired).splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("escalation:"))
    assert lines[start : start + 3] == [
        "escalation:  level 2 of dashboards-standard: lena",
        "on call:     incident-command: lena (layer follow-the-sun)",
        "next level:  2026-11-30 19:35:00 UTC (in 30m)",
    ]
