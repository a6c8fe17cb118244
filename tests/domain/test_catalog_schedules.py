"""Schedules in the catalog: the example's, targets that name them, and errors that name the file and the path."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.catalog_file import LoadedCatalog, load_catalog
from domain.errors import ConfigError
from domain.policy.catalog import Target, recipients, route, schedules_of
from domain.policy.schedules import on_call


@pytest.fixture
def example(catalog: LoadedCatalog) -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(catalog.path.read_text()))


def load(tmp_path: Path, data: dict[str, Any]) -> LoadedCatalog:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_catalog(path)


def test_the_example_schedules(catalog: LoadedCatalog) -> None:
    schedules = catalog.catalog.schedules
    assert sorted(schedules) == ["incident-command", "payments-primary"]
    payments = schedules["payments-primary"]
    assert (payments.time_zone, [layer.users for layer in payments.layers]) == ("Europe/Berlin", [["amara", "bruno"]])
    christmas = datetime(2026, 12, 25, 12, tzinfo=UTC)  # bruno's week; amara covers from the 24th 09:00 Berlin
    found = on_call("payments-primary", payments, christmas)
    assert (found.user, found.decided_by, found.until) == (
        "amara",
        "override 0 (covers bruno's holidays)",
        datetime(2026, 12, 27, 8, tzinfo=UTC),
    )
    follow = on_call("incident-command", schedules["incident-command"], datetime(2026, 11, 28, 18, 59, tzinfo=UTC))
    assert (follow.user, follow.until) == ("kofi", datetime(2026, 11, 28, 19, tzinfo=UTC))


def test_a_level_names_the_schedules_it_needs(catalog: LoadedCatalog) -> None:
    found = route(catalog.catalog, "saas-dashboard", catalog.version)
    assert [schedules_of(level.targets) for level in found.policy.levels] == [[], ["incident-command"]]
    assert found.team_members == {"dashboards": ["dana", "emil"]}


@pytest.mark.parametrize(
    ("on_call_now", "people"),
    [
        ({"payments-primary": "bruno"}, ["amara", "bruno", "chen"]),
        ({"payments-primary": "amara"}, ["amara", "chen"]),
        ({"payments-primary": None}, ["amara", "chen"]),
        (None, ["amara", "chen"]),
    ],
)
def test_recipients_put_the_on_call_person_in_the_targets_place(
    on_call_now: dict[str, str | None] | None, people: list[str]
) -> None:
    targets = [Target(user="amara"), Target(schedule="payments-primary"), Target(team="platform")]
    assert recipients(targets, {"platform": ["chen"]}, on_call_now) == people


def test_a_target_reads_as_its_schedule() -> None:
    assert str(Target(schedule="payments-primary")) == "schedule:payments-primary"


def _break_schedule(data: dict[str, Any], **changes: Any) -> None:
    data["schedules"]["payments-primary"] |= changes


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda d: d["escalation_policies"]["default"]["levels"][0].update(targets=[{"schedule": "nights"}]),
            "escalation_policies.default.levels.0.targets.0.schedule: unknown schedule 'nights'",
        ),
        (
            lambda d: d["escalation_policies"]["default"]["levels"][0].update(
                targets=[{"schedule": "payments-primary", "user": "kofi"}]
            ),
            "escalation_policies.default.levels.0.targets.0: a target names exactly one of 'user', 'team' or "
            "'schedule'",
        ),
        (
            lambda d: _break_schedule(d, time_zone="Mars/Olympus"),
            "schedules.payments-primary.time_zone: unknown time zone 'Mars/Olympus': use an IANA name like "
            "Europe/Berlin or UTC",
        ),
        (
            lambda d: d["schedules"]["payments-primary"]["layers"][0].update(users=["amara", "zed"]),
            "schedules.payments-primary.layers.0.users.1: unknown user 'zed'",
        ),
        (
            lambda d: d["schedules"]["payments-primary"]["layers"][0].update(handoff=600),
            "schedules.payments-primary.layers.0.handoff: 600 is not a time of day: quote it, like '09:00' "
            "(YAML reads 10:00 as a number)",
        ),
        (
            lambda d: d["schedules"]["payments-primary"]["layers"][0].update(rotation="weekly"),
            "schedules.payments-primary.layers.0.rotation: 'weekly' is not a duration; write it like 90s, 5m, 1h30m "
            "or 3d",
        ),
        (
            lambda d: d["schedules"]["payments-primary"]["overrides"][0].update(end="2026-12-24T08:00"),
            "schedules.payments-primary.overrides.0.end: 2026-12-24T08:00:00 is not after start 2026-12-24T09:00:00",
        ),
        (
            lambda d: d["schedules"]["payments-primary"]["overrides"][0].update(user="nobody"),
            "schedules.payments-primary.overrides.0.user: unknown user 'nobody'",
        ),
        (
            lambda d: d["schedules"].update({"Nights": d["schedules"]["payments-primary"]}),
            "schedules.Nights: 'Nights' is not an id: use lower-case letters, digits, '.', '_' and '-'",
        ),
    ],
)
def test_a_bad_schedule_names_the_file_the_path_and_the_problem(
    example: dict[str, Any], tmp_path: Path, edit: Any, problem: str
) -> None:
    edit(example)
    with pytest.raises(ConfigError) as error:
        load(tmp_path, example)
    assert str(error.value) == f"{tmp_path / 'catalog.yaml'}: {problem}"


def test_a_catalog_without_schedules_is_still_valid(example: dict[str, Any], tmp_path: Path) -> None:
    del example["schedules"]
    example["escalation_policies"]["dashboards-standard"]["levels"][1]["targets"] = [{"team": "incident-command"}]
    assert load(tmp_path, example).catalog.schedules == {}
