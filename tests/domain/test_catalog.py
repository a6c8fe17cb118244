"""The service catalog: loading the example, routing, and errors that name the file, the path and the problem."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.catalog_file import LoadedCatalog, load_catalog
from domain.errors import ConfigError
from domain.models import Priority
from domain.policy.catalog import DEFAULT_SLA, Catalog, Criticality, SlaTargets, Target, route

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture
def example(catalog: LoadedCatalog) -> dict[str, Any]:
    """The example catalog as plain data, to break in one place per test."""
    return copy.deepcopy(yaml.safe_load(catalog.path.read_text()))


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_example_catalog(catalog: LoadedCatalog) -> None:
    assert catalog.version.startswith("2026.11.1+")
    assert re.fullmatch(r"2026\.11\.1\+[0-9a-f]{12}", catalog.version)
    assert catalog.catalog.version == "2026.11.1"
    assert catalog.catalog.defaults.team == "incident-command"
    assert sorted(catalog.catalog.services) == [
        "bank-partner-api",
        "logistics-tracking",
        "saas-dashboard",
        "shop-catalog",
        "shop-payments",
    ]
    assert len(catalog.catalog.users) == 12
    assert catalog.catalog.sla == DEFAULT_SLA


def test_the_version_changes_with_the_file(catalog: LoadedCatalog, tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(catalog.path.read_text() + "\n# an edit\n")
    edited = load_catalog(path)
    assert edited.version.startswith("2026.11.1+")
    assert edited.version != catalog.version
    assert edited.catalog == catalog.catalog
    assert edited.path == path


def test_a_known_service_is_routed_to_its_team(catalog: LoadedCatalog) -> None:
    found = route(catalog.catalog, "bank-partner-api", catalog.version)
    assert (found.service, found.known_service, found.criticality) == ("bank-partner-api", True, Criticality.CRITICAL)
    assert (found.team, found.team_name, found.policy_id) == (
        "bank-integrations",
        "Bank partner integrations",
        "bank-partner-critical",
    )
    assert found.team_members == {"bank-security": ["hana"], "incident-command": ["kofi", "lena"]}
    assert found.reason == "service 'bank-partner-api' is owned by team 'bank-integrations'"
    assert found.catalog_version == catalog.version


def test_an_unknown_service_goes_to_the_default_team(catalog: LoadedCatalog) -> None:
    found = route(catalog.catalog, "mystery-service", "v9")
    assert (found.known_service, found.criticality) == (False, Criticality.STANDARD)
    assert (found.team, found.team_name, found.policy_id) == ("incident-command", "Incident command", "default")
    assert (
        found.reason == "service 'mystery-service' is not in the catalog; routed to the default team 'incident-command'"
    )
    assert found.team_members == {"incident-command": ["kofi", "lena"]}
    assert found.responders == sorted(catalog.catalog.users)
    assert found.policy.final_owner == "kofi"
    assert (found.sla, found.catalog_version) == (DEFAULT_SLA, "v9")


def _set(path: str, value: Any) -> Edit:
    *parents, last = path.split("/")

    def edit(data: dict[str, Any]) -> None:
        for part in parents:
            data = data[int(part)] if isinstance(data, list) else data[part]
        data[int(last) if isinstance(data, list) else last] = value

    return edit


def _delete(key: str) -> Edit:
    return lambda data: data.pop(key)


DELAY = "escalation_policies.default.levels.0.delay"
NOT_A_DURATION = "is not a duration; write it like 90s, 5m, 1h30m or 3d"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (_set("services/shop-payments/team", "nope"), "services.shop-payments.team: unknown team 'nope'"),
        (_set("teams/dashboards/members", ["dana", "zed"]), "teams.dashboards.members.1: unknown user 'zed'"),
        (_set("escalation_policies/default/levels/0/delay", "5 minutes"), f"{DELAY}: '5 minutes' {NOT_A_DURATION}"),
        (_set("escalation_policies/default/levels/0/delay", "0s"), f"{DELAY}: must be longer than zero"),
        (_set("sla/P2/resolve", "soon"), f"sla.P2.resolve: 'soon' {NOT_A_DURATION}"),
        (_delete("defaults"), "defaults: Field required"),
        (_set("teams/logistics/name", None), "teams.logistics.name: Input should be a valid string"),
        (
            _set("escalation_policies/default/levels/0/targets", [{"user": "kofi", "team": "incident-command"}]),
            "escalation_policies.default.levels.0.targets.0: "
            "a target names exactly one of 'user', 'team' or 'schedule'",
        ),
        (
            _set("escalation_policies/default/levels/0/targets", [{}]),
            "escalation_policies.default.levels.0.targets.0: "
            "a target names exactly one of 'user', 'team' or 'schedule'",
        ),
        (
            _set("escalation_policies/default/levels/0/targets", [{"user": "zed"}]),
            "escalation_policies.default.levels.0.targets.0.user: unknown user 'zed'",
        ),
        (
            _set("escalation_policies/dashboards-standard/levels/1/targets", [{"team": "nobody"}]),
            "escalation_policies.dashboards-standard.levels.1.targets.0.team: unknown team 'nobody'",
        ),
        (
            _set("escalation_policies/default/final_owner", "zed"),
            "escalation_policies.default.final_owner: unknown user 'zed'",
        ),
        (_set("teams/logistics/escalation_policy", "gone"), "teams.logistics.escalation_policy: unknown policy 'gone'"),
        (_set("defaults/team", "gone"), "defaults.team: unknown team 'gone'"),
        (_set("services/shop-payments/owner", "amara"), "services.shop-payments.owner: Extra inputs are not permitted"),
        (
            _set("services/shop-payments/criticality", "urgent"),
            "services.shop-payments.criticality: Input should be 'critical', 'high' or 'standard'",
        ),
        (
            _set("escalation_policies/default/repeat", 10),
            "escalation_policies.default.repeat: Input should be less than or equal to 9",
        ),
        (
            _set("users/Amara", {"name": "Amara"}),
            "users.Amara: 'Amara' is not an id: use lower-case letters, digits, '.', '_' and '-'",
        ),
    ],
)
def test_a_bad_catalog_names_the_file_the_path_and_the_problem(
    example: dict[str, Any], tmp_path: Path, edit: Edit, problem: str
) -> None:
    edit(example)
    path = write(tmp_path, example)
    with pytest.raises(ConfigError) as error:
        load_catalog(path)
    assert str(error.value) == f"{path}: {problem}"


def test_every_reference_problem_is_reported_at_once(example: dict[str, Any], tmp_path: Path) -> None:
    example["services"]["shop-payments"]["team"] = "nope"
    example["teams"]["dashboards"]["members"] = ["zed"]
    path = write(tmp_path, example)
    with pytest.raises(ConfigError) as error:
        load_catalog(path)
    assert str(error.value) == (
        f"{path}: teams.dashboards.members.0: unknown user 'zed'; services.shop-payments.team: unknown team 'nope'"
    )


NOT_A_MAPPING = "the catalog must be a mapping with version, defaults, users, teams, ..."


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            'version: "1"\nusers:\n  amara: {name: Amara\nteams: {}\n',
            "not valid YAML (line 4, column 6): expected ',' or '}', but got ':'",
        ),
        (
            'version: "1"\nusers:\n\tamara: x\n',
            "not valid YAML (line 3, column 1): found character '\\t' that cannot start any token",
        ),
        ("- a\n- b\n", NOT_A_MAPPING),
        ("", NOT_A_MAPPING),
    ],
)
def test_a_file_that_is_not_a_catalog(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_catalog(path)
    assert str(error.value) == f"{path}: {problem}"


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(ConfigError) as error:
        load_catalog(path)
    assert str(error.value) == f"{path}: cannot read the catalog: No such file or directory"


def test_a_partial_sla_keeps_the_defaults_for_the_other_priorities(example: dict[str, Any], tmp_path: Path) -> None:
    example["sla"] = {"P1": {"acknowledge": "2m", "resolve": "30m"}, "P4": {"acknowledge": "1d", "resolve": "7d"}}
    loaded = load_catalog(write(tmp_path, example))
    assert loaded.catalog.sla == {
        Priority.P1: SlaTargets(acknowledge=timedelta(minutes=2), resolve=timedelta(minutes=30)),
        Priority.P2: SlaTargets(acknowledge=timedelta(minutes=15), resolve=timedelta(hours=4)),
        Priority.P3: SlaTargets(acknowledge=timedelta(hours=1), resolve=timedelta(days=1)),
        Priority.P4: SlaTargets(acknowledge=timedelta(days=1), resolve=timedelta(days=7)),
    }
    assert route(loaded.catalog, "shop-payments", loaded.version).sla == loaded.catalog.sla


def test_no_sla_section_means_the_defaults(example: dict[str, Any]) -> None:
    del example["sla"]
    assert Catalog.model_validate(example).sla == DEFAULT_SLA


@pytest.mark.parametrize(
    ("target", "text"),
    [(Target(user="amara"), "user:amara"), (Target(team="shop-payments"), "team:shop-payments")],
)
def test_a_target_reads_as_its_kind_and_id(target: Target, text: str) -> None:
    assert str(target) == text
