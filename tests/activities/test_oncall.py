"""resolve_on_call with the example catalog: the answer at the workflow time asked, never at the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.testing import ActivityEnvironment

from activities.oncall import OnCallActivities
from adapters.catalog_file import LoadedCatalog
from domain.messages.steps import OnCallRequest, OnCallResult
from domain.policy.schedules import OnCall


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def resolve(catalog: LoadedCatalog, schedules: list[str], moment: datetime) -> OnCallResult:
    request = OnCallRequest(incident_id="INC-20261128-0007", schedules=schedules, at=moment)
    return await ActivityEnvironment().run(OnCallActivities(catalog).resolve_on_call, request)


@pytest.mark.parametrize(
    ("moment", "payments", "incident_command"),
    [
        # Monday 2026-11-30 09:00 Berlin (08:00 UTC): amara's week begins; kofi's 07:00-19:00 UTC shift.
        ("2026-11-30T07:59:00", ("bruno", "weekly", None, "2026-11-30T08:00:00"), ("kofi", "2026-11-30T19:00:00")),
        ("2026-11-30T08:00:00", ("amara", "weekly", None, "2026-12-07T08:00:00"), ("kofi", "2026-11-30T19:00:00")),
        ("2026-11-30T19:00:00", ("amara", "weekly", None, "2026-12-07T08:00:00"), ("lena", "2026-12-01T07:00:00")),
        # Bruno's week from 2026-12-21, but amara covers his holidays from 2026-12-24 09:00 Berlin.
        ("2026-12-24T07:59:00", ("bruno", "weekly", None, "2026-12-24T08:00:00"), ("kofi", "2026-12-24T19:00:00")),
        ("2026-12-24T08:00:00", ("amara", None, 0, "2026-12-27T08:00:00"), ("kofi", "2026-12-24T19:00:00")),
    ],
)
async def test_who_is_on_call_at_the_moment_asked(
    catalog: LoadedCatalog,
    moment: str,
    payments: tuple[str, str | None, int | None, str],
    incident_command: tuple[str, str],
) -> None:
    result = await resolve(catalog, ["payments-primary", "incident-command"], at(moment))
    user, layer, override, until = payments
    assert result.answers == {
        "payments-primary": OnCall(
            schedule="payments-primary",
            at=at(moment),
            user=user,
            layer=layer,
            override=override,
            reason="covers bruno's holidays" if override is not None else None,
            until=at(until),
        ),
        "incident-command": OnCall(
            schedule="incident-command",
            at=at(moment),
            user=incident_command[0],
            layer="follow-the-sun",
            until=at(incident_command[1]),
        ),
    }
    assert (result.at, result.unknown, result.catalog_version) == (at(moment), [], catalog.version)


async def test_a_schedule_the_catalog_no_longer_has_is_reported_not_raised(catalog: LoadedCatalog) -> None:
    result = await resolve(catalog, ["nights", "payments-primary"], at("2026-11-30T08:00:00"))
    assert list(result.answers) == ["payments-primary"]
    assert result.unknown == ["nights"]


async def test_the_same_question_gets_the_same_answer(catalog: LoadedCatalog) -> None:
    first = await resolve(catalog, ["payments-primary"], at("2026-11-02T08:00:00"))
    again = await resolve(catalog, ["payments-primary"], at("2026-11-02T08:00:00"))
    assert first == again
    assert first.answers["payments-primary"].user == "amara"
