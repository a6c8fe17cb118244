"""Escalation: walking the example policy payments-critical, its schedule, and expanding targets to people."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.catalog_file import LoadedCatalog
from domain.policy.catalog import EscalationLevel, EscalationPolicy, Target, recipients, route
from domain.policy.escalation import EscalationStep, path_length, schedule, step_at

AMARA = [Target(user="amara")]
SHOP_PAYMENTS = [Target(team="shop-payments")]
PLATFORM_AND_KOFI = [Target(team="shop-platform"), Target(user="kofi")]
MINUTES_5, MINUTES_10, MINUTES_15 = timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=15)


@pytest.fixture
def payments(catalog: LoadedCatalog) -> EscalationPolicy:
    return catalog.catalog.escalation_policies["payments-critical"]


def test_the_example_policy(payments: EscalationPolicy) -> None:
    assert payments.repeat == 1
    assert payments.final_owner == "kofi"
    assert len(payments.levels) == 3
    assert path_length(payments) == 6


@pytest.mark.parametrize(
    ("index", "loop", "level", "targets", "delay"),
    [
        (0, 1, 1, AMARA, MINUTES_5),
        (1, 1, 2, SHOP_PAYMENTS, MINUTES_10),
        (2, 1, 3, PLATFORM_AND_KOFI, MINUTES_15),
        (3, 2, 1, AMARA, MINUTES_5),
        (4, 2, 2, SHOP_PAYMENTS, MINUTES_10),
        (5, 2, 3, PLATFORM_AND_KOFI, MINUTES_15),
    ],
)
def test_step_at(
    payments: EscalationPolicy, index: int, loop: int, level: int, targets: list[Target], delay: timedelta
) -> None:
    assert step_at(payments, index) == EscalationStep(index=index, loop=loop, level=level, targets=targets, delay=delay)


@pytest.mark.parametrize("index", [6, 7, 100, -1])
def test_step_at_past_either_end_is_none(payments: EscalationPolicy, index: int) -> None:
    assert step_at(payments, index) is None


def test_schedule_offsets(payments: EscalationPolicy) -> None:
    assert schedule(payments) == [
        timedelta(0),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(minutes=35),
        timedelta(minutes=45),
    ]


@pytest.mark.parametrize(
    ("policy_id", "length", "offsets_in_minutes"),
    [
        ("dashboards-standard", 2, [0, 15]),
        ("bank-partner-critical", 9, [0, 5, 10, 20, 25, 30, 40, 45, 50]),
        ("logistics-standard", 2, [0, 30]),
        ("default", 1, [0]),
    ],
)
def test_other_example_policies(
    catalog: LoadedCatalog, policy_id: str, length: int, offsets_in_minutes: list[int]
) -> None:
    policy = catalog.catalog.escalation_policies[policy_id]
    assert path_length(policy) == length
    assert schedule(policy) == [timedelta(minutes=m) for m in offsets_in_minutes]


def test_a_policy_without_repeat_walks_once() -> None:
    policy = EscalationPolicy(
        name="once", final_owner="kofi", levels=[EscalationLevel(targets=AMARA, delay=timedelta(minutes=2))]
    )
    assert path_length(policy) == 1
    assert step_at(policy, 0) == EscalationStep(index=0, loop=1, level=1, targets=AMARA, delay=timedelta(minutes=2))
    assert step_at(policy, 1) is None


TEAMS = {"shop-payments": ["amara", "bruno"], "shop-platform": ["chen"], "ops": ["kofi", "lena", "amara"]}


@pytest.mark.parametrize(
    ("targets", "people"),
    [
        ([Target(user="amara")], ["amara"]),
        ([Target(team="shop-payments")], ["amara", "bruno"]),
        ([Target(team="shop-platform"), Target(user="kofi")], ["chen", "kofi"]),
        ([Target(user="kofi"), Target(team="shop-platform")], ["kofi", "chen"]),
        # each person once, where they first appear
        ([Target(user="bruno"), Target(team="shop-payments")], ["bruno", "amara"]),
        ([Target(team="shop-payments"), Target(team="ops")], ["amara", "bruno", "kofi", "lena"]),
        ([Target(user="lena"), Target(user="lena")], ["lena"]),
        # a team whose members were not given expands to nobody
        ([Target(team="unknown"), Target(user="chen")], ["chen"]),
    ],
)
def test_recipients(targets: list[Target], people: list[str]) -> None:
    assert recipients(targets, TEAMS) == people


@pytest.mark.parametrize(
    ("index", "people"),
    [(0, ["amara"]), (1, ["amara", "bruno"]), (2, ["chen", "kofi"]), (5, ["chen", "kofi"])],
)
def test_recipients_of_each_step_through_the_route(catalog: LoadedCatalog, index: int, people: list[str]) -> None:
    found = route(catalog.catalog, "shop-payments", catalog.version)
    assert found.team_members == {"shop-payments": ["amara", "bruno"], "shop-platform": ["chen"]}
    step = step_at(found.policy, index)
    assert step is not None
    assert recipients(step.targets, found.team_members) == people
