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
from datetime import date, datetime, timedelta
from statistics import fmean

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


def compliance(verdicts: list[str]) -> Compliance:
    decided = [verdict for verdict in verdicts if verdict in DECIDED]
    met = decided.count("met")
    return Compliance(met=met, total=len(decided), percent=100 * met / len(decided) if decided else None)


def _verdicts(records: list[IncidentRecord], clock: Clock | None = None) -> list[str]:
    return [view.state for record in records for view in record.sla if clock is None or view.clock is clock]


def _priority_name(record: IncidentRecord) -> str:
    return record.priority.value if record.priority else UNCLASSIFIED


def _by_priority(records: list[IncidentRecord]) -> list[PriorityCompliance]:
    names = [priority.value for priority in Priority] + [UNCLASSIFIED]
    rows = []
    for name in names:
        group = [record for record in records if _priority_name(record) == name]
        if group:
            rows.append(
                PriorityCompliance(
                    priority=name,
                    overall=compliance(_verdicts(group)),
                    acknowledge=compliance(_verdicts(group, Clock.ACKNOWLEDGE)),
                    resolve=compliance(_verdicts(group, Clock.RESOLVE)),
                )
            )
    return rows


def _mean(values: list[float]) -> float | None:
    return fmean(values) if values else None


def _per_day(records: list[IncidentRecord], since: datetime, until: datetime) -> list[DayStats]:
    first, last = _utc_day(since), _utc_day(until - timedelta(microseconds=1))
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        group = [record for record in records if _utc_day(record.opened_at) == day]
        days.append(
            DayStats(
                day=day,
                incidents=len(group),
                mtta_mean_seconds=_mean([r.mtta_seconds for r in group if r.mtta_seconds is not None]),
                mttr_mean_seconds=_mean([r.mttr_seconds for r in group if r.mttr_seconds is not None]),
            )
        )
    return days


def _utc_day(moment: datetime) -> date:
    return (moment - (moment.utcoffset() or timedelta())).date()


def compute_stats(records: list[IncidentRecord], filters: StatsFilter) -> IncidentStats:
    selected = [record for record in records if filters.selects(record)]
    escalations = [sum(1 for e in record.escalations if e.index > 0) for record in selected]
    services = Counter(record.service for record in selected)
    busiest = sorted(services.items(), key=lambda item: (-item[1], item[0]))[:TOP_SERVICES]
    return IncidentStats(
        filters=filters,
        incidents=len(selected),
        mtta=distribution([r.mtta_seconds for r in selected if r.mtta_seconds is not None]),
        mttr=distribution([r.mttr_seconds for r in selected if r.mttr_seconds is not None]),
        sla_by_clock={clock: compliance(_verdicts(selected, clock)) for clock in Clock},
        sla_by_priority=_by_priority(selected),
        breaches=_verdicts(selected).count("breached"),
        breached_incidents=sum(1 for record in selected if record.sla_breached),
        escalations_mean=_mean([float(count) for count in escalations]),
        escalations_max=max(escalations) if escalations else None,
        busiest_services=[ServiceCount(service=name, incidents=count) for name, count in busiest],
        per_day=_per_day(selected, filters.since, filters.until),
    )
