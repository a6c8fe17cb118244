"""Statistics over closed incidents: MTTA, MTTR, SLA compliance, escalations, busiest services, incidents per day.

Pure: takes the records and the filters, reads no files and no clock. Decisions, so the numbers can be checked by hand:

- **Selection.** A record counts when its ``opened_at`` is in ``[since, until)`` and it matches every filter given
  (service, team and priority, exact). Days are UTC calendar days.
- **MTTA** is taken over the selected records that were acknowledged (``mtta_seconds`` set); **MTTR** over those
  that were resolved (``mttr_seconds`` set). An incident resolved without an acknowledgement counts in MTTR only.
  A distribution of no values has ``count`` 0 and ``None`` for mean and percentiles.
- **Percentiles are nearest-rank**: with the ``n`` values sorted ascending ``x[1] <= ... <= x[n]``, the p-th
  percentile is ``x[k]`` with ``k = ceil(p * n / 100)`` (and ``k = 1`` for ``p = 0``). It is always one of the
  observed values, never interpolated: p50 of 60, 120, 180, 240 is 120; p90 of the same is 240.
- **SLA compliance** counts each clock's verdict in the record: ``met`` and ``breached`` are decided, ``running``
  (not decided when the record was written) is left out of both ``met`` and ``total``. Per clock, per priority (both
  clocks together) and per priority and clock. ``percent`` is ``100 * met / total``, ``None`` when ``total`` is 0.
  Records without a priority are grouped under ``unclassified``.
- **Breaches** are breached clock verdicts (an incident can breach both clocks); ``breached_incidents`` counts the
  records with ``sla_breached``.
- **Escalations** of an incident are its escalation entries after the first page (``index > 0``): paging level 1
  when the incident opens is not an escalation; each later level, pass or manual escalation is.
- **Busiest services**: incidents per service, most first, ties by service name; the first five.
- **Per day**: every UTC day from ``since`` up to the day of the last instant before ``until``, with the number of
  incidents opened that day and the mean MTTA and MTTR of those incidents (``None`` when there is none).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import NamedTuple

from pydantic import AwareDatetime, BaseModel, model_validator

from domain.models import Priority
from domain.policy.sla import Clock
from domain.views.record import IncidentRecord

TOP_SERVICES = 5
UNCLASSIFIED = "unclassified"
DECIDED = ("met", "breached")


class StatsFilter(BaseModel):
    since: AwareDatetime
    until: AwareDatetime
    service: str | None = None
    team: str | None = None
    priority: Priority | None = None

    @model_validator(mode="after")
    def _ordered(self) -> StatsFilter:
        if self.since >= self.until:
            raise ValueError("since must be before until")
        return self

    def selects(self, record: IncidentRecord) -> bool:
        return (
            self.since <= record.opened_at < self.until
            and (self.service is None or record.service == self.service)
            and (self.team is None or record.team == self.team)
            and (self.priority is None or record.priority == self.priority)
        )


class Distribution(BaseModel):
    count: int
    mean_seconds: float | None
    p50_seconds: float | None
    p90_seconds: float | None


class Compliance(BaseModel):
    met: int
    total: int
    percent: float | None


class PriorityCompliance(BaseModel):
    priority: str
    """P1 to P4, or ``unclassified``."""
    overall: Compliance
    acknowledge: Compliance
    resolve: Compliance


class ServiceCount(BaseModel):
    service: str
    incidents: int


class DayStats(BaseModel):
    day: date
    incidents: int
    mtta_mean_seconds: float | None
    mttr_mean_seconds: float | None


class IncidentStats(BaseModel):
    filters: StatsFilter
    incidents: int
    mtta: Distribution
    mttr: Distribution
    sla_by_clock: dict[Clock, Compliance]
    sla_by_priority: list[PriorityCompliance]
    breaches: int
    breached_incidents: int
    escalations_mean: float | None
    escalations_max: int | None
    busiest_services: list[ServiceCount]
    per_day: list[DayStats]


def nearest_rank(values: list[float], percent: int) -> float:
    """The nearest-rank percentile of ``values`` (not empty): the ``ceil(percent * n / 100)``-th smallest."""
    if not values:
        raise ValueError("no values")
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    ordered = sorted(values)
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def distribution(values: list[float]) -> Distribution:
    if not values:
        return Distribution(count=0, mean_seconds=None, p50_seconds=None, p90_seconds=None)
    return Distribution(
        count=len(values),
        mean_seconds=fmean(values),
        p50_seconds=nearest_rank(values, 50),
        p90_seconds=nearest_rank(values, 90),
    )


def compliance(verdicts: Iterable[str]) -> Compliance:
    counted = Counter(verdicts)
    met, total = counted["met"], sum(counted[verdict] for verdict in DECIDED)
    return Compliance(met=met, total=total, percent=100 * met / total if total else None)


class StatsRow(NamedTuple):
    """What the statistics read of one selected incident: the archive selects just these columns, records give them
    through ``stats_row``."""

    day: date
    """The UTC calendar day it opened."""
    service: str
    priority: str | None
    """P1 to P4, None when unclassified."""
    mtta_seconds: float | None
    mttr_seconds: float | None
    acknowledge_sla: str | None
    """The acknowledge clock's verdict (running, met, breached), None without that clock."""
    resolve_sla: str | None
    escalations: int
    """Escalation entries after the first page."""
    sla_breached: bool


def sla_verdict(record: IncidentRecord, clock: Clock) -> str | None:
    return next((view.state for view in record.sla if view.clock is clock), None)


def escalation_count(record: IncidentRecord) -> int:
    return sum(1 for escalation in record.escalations if escalation.index > 0)


def stats_row(record: IncidentRecord) -> StatsRow:
    return StatsRow(
        day=_utc_day(record.opened_at),
        service=record.service,
        priority=record.priority.value if record.priority else None,
        mtta_seconds=record.mtta_seconds,
        mttr_seconds=record.mttr_seconds,
        acknowledge_sla=sla_verdict(record, Clock.ACKNOWLEDGE),
        resolve_sla=sla_verdict(record, Clock.RESOLVE),
        escalations=escalation_count(record),
        sla_breached=record.sla_breached,
    )


def compute_stats(records: Iterable[IncidentRecord], filters: StatsFilter) -> IncidentStats:
    """The statistics of the records ``filters`` selects."""
    return stats_from_rows([stats_row(record) for record in records if filters.selects(record)], filters)


@dataclass
class _Tally:
    """Counts and sums over a group of rows, in one pass."""

    incidents: int = 0
    mtta: list[float] = field(default_factory=list)
    mttr: list[float] = field(default_factory=list)
    verdicts: dict[Clock, Counter[str]] = field(default_factory=lambda: {clock: Counter() for clock in Clock})

    def add(self, row: StatsRow) -> None:
        self.incidents += 1
        if row.mtta_seconds is not None:
            self.mtta.append(row.mtta_seconds)
        if row.mttr_seconds is not None:
            self.mttr.append(row.mttr_seconds)
        if row.acknowledge_sla is not None:
            self.verdicts[Clock.ACKNOWLEDGE][row.acknowledge_sla] += 1
        if row.resolve_sla is not None:
            self.verdicts[Clock.RESOLVE][row.resolve_sla] += 1

    def compliance(self, clock: Clock | None = None) -> Compliance:
        clocks = list(Clock) if clock is None else [clock]
        return compliance(verdict for each in clocks for verdict in self.verdicts[each].elements())


def stats_from_rows(rows: Iterable[StatsRow], filters: StatsFilter) -> IncidentStats:
    """The statistics of ``rows``, already selected by ``filters`` (which give the period's days)."""
    overall = _Tally()
    priorities: dict[str, _Tally] = {}
    days: dict[date, _Tally] = {}
    services: Counter[str] = Counter()
    escalations: list[int] = []
    breached_incidents = 0
    for row in rows:
        overall.add(row)
        group = priorities.get(row.priority or UNCLASSIFIED)
        if group is None:
            group = priorities[row.priority or UNCLASSIFIED] = _Tally()
        group.add(row)
        day = days.get(row.day)
        if day is None:
            day = days[row.day] = _Tally()
        day.incidents += 1
        if row.mtta_seconds is not None:
            day.mtta.append(row.mtta_seconds)
        if row.mttr_seconds is not None:
            day.mttr.append(row.mttr_seconds)
        services[row.service] += 1
        escalations.append(row.escalations)
        breached_incidents += row.sla_breached
    busiest = sorted(services.items(), key=lambda item: (-item[1], item[0]))[:TOP_SERVICES]
    order = [priority.value for priority in Priority] + [UNCLASSIFIED]
    return IncidentStats(
        filters=filters,
        incidents=overall.incidents,
        mtta=distribution(overall.mtta),
        mttr=distribution(overall.mttr),
        sla_by_clock={clock: overall.compliance(clock) for clock in Clock},
        sla_by_priority=[
            PriorityCompliance(
                priority=name,
                overall=tally.compliance(),
                acknowledge=tally.compliance(Clock.ACKNOWLEDGE),
                resolve=tally.compliance(Clock.RESOLVE),
            )
            for name in order
            if (tally := priorities.get(name)) is not None
        ],
        breaches=sum(overall.verdicts[clock]["breached"] for clock in Clock),
        breached_incidents=breached_incidents,
        escalations_mean=_mean([float(count) for count in escalations]),
        escalations_max=max(escalations) if escalations else None,
        busiest_services=[ServiceCount(service=name, incidents=count) for name, count in busiest],
        per_day=_per_day(days, filters.since, filters.until),
    )


def _mean(values: list[float]) -> float | None:
    return fmean(values) if values else None


def _per_day(days: dict[date, _Tally], since: datetime, until: datetime) -> list[DayStats]:
    first, last = _utc_day(since), _utc_day(until - timedelta(microseconds=1))
    empty = _Tally()
    result = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        tally = days.get(day, empty)
        result.append(
            DayStats(
                day=day,
                incidents=tally.incidents,
                mtta_mean_seconds=_mean(tally.mtta),
                mttr_mean_seconds=_mean(tally.mttr),
            )
        )
    return result


def _utc_day(moment: datetime) -> date:
    return (moment - (moment.utcoffset() or timedelta())).date()
