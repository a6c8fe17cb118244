"""SLA clocks: deadlines per priority with the default targets, checkpoints and which of them are still pending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.models import Priority
from domain.policy.catalog import DEFAULT_SLA, SlaTargets
from domain.policy.sla import Clock, SlaCheckpoint, checkpoints, deadline, pending_checkpoints

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ACK, RES = Clock.ACKNOWLEDGE, Clock.RESOLVE


def at(hours: int = 0, minutes: int = 0, seconds: int = 0, days: int = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


@pytest.mark.parametrize(
    ("priority", "acknowledge_by", "resolve_by"),
    [
        (Priority.P1, datetime(2026, 1, 5, 9, 5, tzinfo=UTC), datetime(2026, 1, 5, 10, 0, tzinfo=UTC)),
        (Priority.P2, datetime(2026, 1, 5, 9, 15, tzinfo=UTC), datetime(2026, 1, 5, 13, 0, tzinfo=UTC)),
        (Priority.P3, datetime(2026, 1, 5, 10, 0, tzinfo=UTC), datetime(2026, 1, 6, 9, 0, tzinfo=UTC)),
        (Priority.P4, datetime(2026, 1, 5, 13, 0, tzinfo=UTC), datetime(2026, 1, 8, 9, 0, tzinfo=UTC)),
    ],
)
def test_default_deadlines(priority: Priority, acknowledge_by: datetime, resolve_by: datetime) -> None:
    targets = DEFAULT_SLA[priority]
    assert deadline(targets, ACK, T0) == acknowledge_by
    assert deadline(targets, RES, T0) == resolve_by


@pytest.mark.parametrize(
    ("priority", "acknowledge", "resolve"),
    [
        (Priority.P1, timedelta(minutes=5), timedelta(hours=1)),
        (Priority.P2, timedelta(minutes=15), timedelta(hours=4)),
        (Priority.P3, timedelta(hours=1), timedelta(days=1)),
        (Priority.P4, timedelta(hours=4), timedelta(days=3)),
    ],
)
def test_default_targets(priority: Priority, acknowledge: timedelta, resolve: timedelta) -> None:
    assert DEFAULT_SLA[priority] == SlaTargets(acknowledge=acknowledge, resolve=resolve)


def test_p1_checkpoints_earliest_first() -> None:
    points = checkpoints(DEFAULT_SLA[Priority.P1], T0)
    assert [(p.clock, p.percent, p.at) for p in points] == [
        (ACK, 50, at(minutes=2, seconds=30)),
        (ACK, 75, at(minutes=3, seconds=45)),
        (ACK, 100, at(minutes=5)),
        (RES, 50, at(minutes=30)),
        (RES, 75, at(minutes=45)),
        (RES, 100, at(hours=1)),
    ]
    assert [p.key for p in points] == [
        "acknowledge:50",
        "acknowledge:75",
        "acknowledge:100",
        "resolve:50",
        "resolve:75",
        "resolve:100",
    ]
    assert [p.is_breach for p in points] == [False, False, True, False, False, True]


def test_p4_checkpoints_interleave_the_two_clocks() -> None:
    points = checkpoints(DEFAULT_SLA[Priority.P4], T0)
    assert [(p.key, p.at) for p in points] == [
        ("acknowledge:50", at(hours=2)),
        ("acknowledge:75", at(hours=3)),
        ("acknowledge:100", at(hours=4)),
        ("resolve:50", at(hours=36)),
        ("resolve:75", at(hours=54)),
        ("resolve:100", at(days=3)),
    ]


def test_checkpoints_at_the_same_moment_order_by_clock_then_percent() -> None:
    # acknowledge 100% and resolve 50% both fall at 09:10
    targets = SlaTargets(acknowledge=timedelta(minutes=10), resolve=timedelta(minutes=20))
    assert [(p.key, p.at) for p in checkpoints(targets, T0)] == [
        ("acknowledge:50", at(minutes=5)),
        ("acknowledge:75", at(minutes=7, seconds=30)),
        ("acknowledge:100", at(minutes=10)),
        ("resolve:50", at(minutes=10)),
        ("resolve:75", at(minutes=15)),
        ("resolve:100", at(minutes=20)),
    ]


@pytest.mark.parametrize(
    ("running", "fired", "pending"),
    [
        (
            {ACK, RES},
            set(),
            ["acknowledge:50", "acknowledge:75", "acknowledge:100", "resolve:50", "resolve:75", "resolve:100"],
        ),
        (
            {ACK, RES},
            {"acknowledge:50", "acknowledge:75"},
            ["acknowledge:100", "resolve:50", "resolve:75", "resolve:100"],
        ),
        ({RES}, set(), ["resolve:50", "resolve:75", "resolve:100"]),
        ({RES}, {"acknowledge:50", "resolve:50"}, ["resolve:75", "resolve:100"]),
        ({ACK}, {"resolve:50"}, ["acknowledge:50", "acknowledge:75", "acknowledge:100"]),
        (set(), set(), []),
        (
            {ACK, RES},
            {"acknowledge:50", "acknowledge:75", "acknowledge:100", "resolve:50", "resolve:75", "resolve:100"},
            [],
        ),
    ],
)
def test_pending_checkpoints(running: set[Clock], fired: set[str], pending: list[str]) -> None:
    points = pending_checkpoints(DEFAULT_SLA[Priority.P1], T0, running, fired)
    assert [p.key for p in points] == pending


def test_a_checkpoint_is_a_value() -> None:
    point = SlaCheckpoint(clock=RES, percent=75, at=at(minutes=45))
    assert point.key == "resolve:75"
    assert point.is_breach is False
    assert SlaCheckpoint(clock=ACK, percent=100, at=T0).is_breach is True
