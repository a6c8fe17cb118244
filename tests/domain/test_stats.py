"""Incident statistics against hand-computed values for the records in ``tests/stats_records.py``."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from domain.models import Priority
from domain.policy.sla import Clock
from domain.views.stats import (
    Compliance,
    DayStats,
    Distribution,
    PriorityCompliance,
    ServiceCount,
    StatsFilter,
    compliance,
    compute_stats,
    distribution,
    nearest_rank,
)
from tests.support.stats_records import RECORDS, SINCE, UNTIL, day, record

ALL = StatsFilter(since=SINCE, until=UNTIL)


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([60.0, 120.0, 180.0, 240.0], 50, 120.0),  # ceil(2.0) = 2nd
        ([60.0, 120.0, 180.0, 240.0], 90, 240.0),  # ceil(3.6) = 4th
        ([60.0, 120.0, 180.0, 240.0], 75, 180.0),  # ceil(3.0) = 3rd
        ([60.0, 120.0, 180.0, 240.0], 0, 60.0),
        ([60.0, 120.0, 180.0, 240.0], 100, 240.0),
        ([240.0, 60.0, 180.0, 120.0, 300.0], 50, 180.0),  # unsorted input; ceil(2.5) = 3rd
        ([7.0], 90, 7.0),
    ],
)
def test_nearest_rank(values: list[float], percent: int, expected: float) -> None:
    assert nearest_rank(values, percent) == expected


@pytest.mark.parametrize(("values", "percent", "problem"), [([], 50, "no values"), ([1.0], 101, "between 0 and 100")])
def test_nearest_rank_refuses(values: list[float], percent: int, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        nearest_rank(values, percent)


def test_distribution_of_nothing() -> None:
    assert distribution([]) == Distribution(count=0, mean_seconds=None, p50_seconds=None, p90_seconds=None)


def test_compliance_leaves_running_clocks_out() -> None:
    assert compliance(["met", "running", "breached", "met"]) == Compliance(met=2, total=3, percent=200 / 3)
    assert compliance(["running"]) == Compliance(met=0, total=0, percent=None)


def test_filter_needs_since_before_until() -> None:
    with pytest.raises(ValidationError, match="since must be before until"):
        StatsFilter(since=UNTIL, until=SINCE)


def test_everything_in_the_window() -> None:
    stats = compute_stats(RECORDS, ALL)
    assert stats.incidents == 6  # INC-G opens at `until` (excluded), INC-H a second before `since`
    # MTTA over the five acknowledged: 60, 120, 300, 600, 1200 s (INC-D was never acknowledged).
    assert stats.mtta == Distribution(count=5, mean_seconds=456.0, p50_seconds=300.0, p90_seconds=1200.0)
    # MTTR over all six: 360, 1800, 3600, 5400, 7200, 18000 s; p50 is the 3rd, p90 the ceil(5.4) = 6th.
    assert stats.mttr == Distribution(count=6, mean_seconds=6060.0, p50_seconds=3600.0, p90_seconds=18000.0)
    assert stats.sla_by_clock == {
        Clock.ACKNOWLEDGE: Compliance(met=3, total=5, percent=60.0),
        Clock.RESOLVE: Compliance(met=4, total=5, percent=80.0),
    }
    assert stats.sla_by_priority == [
        PriorityCompliance(
            priority="P1",
            overall=Compliance(met=2, total=4, percent=50.0),
            acknowledge=Compliance(met=1, total=2, percent=50.0),
            resolve=Compliance(met=1, total=2, percent=50.0),
        ),
        PriorityCompliance(
            priority="P2",
            overall=Compliance(met=3, total=4, percent=75.0),
            acknowledge=Compliance(met=1, total=2, percent=50.0),
            resolve=Compliance(met=2, total=2, percent=100.0),
        ),
        PriorityCompliance(
            priority="P3",
            overall=Compliance(met=2, total=2, percent=100.0),
            acknowledge=Compliance(met=1, total=1, percent=100.0),
            resolve=Compliance(met=1, total=1, percent=100.0),
        ),
        PriorityCompliance(
            priority="unclassified",
            overall=Compliance(met=0, total=0, percent=None),
            acknowledge=Compliance(met=0, total=0, percent=None),
            resolve=Compliance(met=0, total=0, percent=None),
        ),
    ]
    assert (stats.breaches, stats.breached_incidents) == (3, 2)
    assert (stats.escalations_mean, stats.escalations_max) == (0.5, 2)  # 0+2+0+1+0+0 over 6
    assert stats.busiest_services == [
        ServiceCount(service="dashboard", incidents=2),
        ServiceCount(service="shop-payments", incidents=2),
        ServiceCount(service="api-gateway", incidents=1),
        ServiceCount(service="logistics", incidents=1),
    ]
    assert stats.per_day == [
        DayStats(day=date(2026, 3, 2), incidents=2, mtta_mean_seconds=360.0, mttr_mean_seconds=3600.0),
        DayStats(day=date(2026, 3, 3), incidents=2, mtta_mean_seconds=300.0, mttr_mean_seconds=5400.0),
        DayStats(day=date(2026, 3, 4), incidents=2, mtta_mean_seconds=630.0, mttr_mean_seconds=9180.0),
    ]


@pytest.mark.parametrize(
    ("filters", "ids", "mtta_mean", "mttr_mean"),
    [
        ({"service": "shop-payments"}, ["INC-A", "INC-B"], 360.0, 3600.0),
        ({"team": "data"}, ["INC-C", "INC-D"], 300.0, 5400.0),
        ({"priority": Priority.P3}, ["INC-E"], 1200.0, 18000.0),
        ({"priority": Priority.P2, "service": "dashboard", "team": "data"}, ["INC-C", "INC-D"], 300.0, 5400.0),
        ({"priority": Priority.P2, "service": "shop-payments"}, [], None, None),
        ({"priority": Priority.P4}, [], None, None),
    ],
)
def test_filters(filters: dict[str, object], ids: list[str], mtta_mean: float | None, mttr_mean: float | None) -> None:
    chosen = StatsFilter.model_validate({"since": SINCE, "until": UNTIL, **filters})
    assert [r.incident_id for r in RECORDS if chosen.selects(r)] == ids
    stats = compute_stats(RECORDS, chosen)
    assert (stats.incidents, stats.mtta.mean_seconds, stats.mttr.mean_seconds) == (len(ids), mtta_mean, mttr_mean)


def test_an_empty_selection_still_lists_its_days() -> None:
    stats = compute_stats(RECORDS, StatsFilter(since=SINCE, until=UNTIL, service="nothing"))
    assert stats.sla_by_clock == {clock: Compliance(met=0, total=0, percent=None) for clock in Clock}
    assert (stats.sla_by_priority, stats.busiest_services, stats.breaches) == ([], [], 0)
    assert (stats.escalations_mean, stats.escalations_max) == (None, None)
    assert [(d.day.day, d.incidents, d.mtta_mean_seconds, d.mttr_mean_seconds) for d in stats.per_day] == [
        (2, 0, None, None),
        (3, 0, None, None),
        (4, 0, None, None),
    ]


@pytest.mark.parametrize(
    ("since", "until", "days"),
    [
        (day(2, 12), day(3, 0), [2]),  # `until` at midnight: that day is not in the window
        (day(2, 12), day(3, 0, 0, 1), [2, 3]),
        # 2026-03-03 01:00 at +02:00 is 2026-03-02 23:00 UTC: days are UTC days.
        (datetime(2026, 3, 3, 1, tzinfo=timezone(timedelta(hours=2))), day(3, 9), [2, 3]),
    ],
)
def test_days_are_utc_days_of_the_window(since: datetime, until: datetime, days: list[int]) -> None:
    stats = compute_stats(RECORDS, StatsFilter(since=since, until=until))
    assert [d.day for d in stats.per_day] == [date(2026, 3, number) for number in days]


def test_only_the_five_busiest_services() -> None:
    counts = {"a": 1, "b": 3, "c": 2, "d": 2, "e": 4, "f": 1, "g": 5}
    records = [
        record(f"INC-{name}{n}", name, None, None, day(2, 9, n), 1, 2, None, 0)
        for name, count in counts.items()
        for n in range(count)
    ]
    assert [(s.service, s.incidents) for s in compute_stats(records, ALL).busiest_services] == [
        ("g", 5),
        ("e", 4),
        ("b", 3),
        ("c", 2),
        ("d", 2),
    ]
