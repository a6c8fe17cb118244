"""SLA clocks: time to acknowledge and time to resolve, each with warnings at 50% and 75% and a breach at 100%."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.policy.catalog import SlaTargets

CHECKPOINT_PERCENTS = (50, 75, 100)


class Clock(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class SlaCheckpoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    clock: Clock
    percent: int
    at: datetime

    @property
    def key(self) -> str:
        return f"{self.clock.value}:{self.percent}"

    @property
    def is_breach(self) -> bool:
        return self.percent >= 100


def deadline(targets: SlaTargets, clock: Clock, opened_at: datetime) -> datetime:
    return opened_at + (targets.acknowledge if clock is Clock.ACKNOWLEDGE else targets.resolve)


def checkpoints(
    targets: SlaTargets, opened_at: datetime, paused: Mapping[Clock, timedelta] | None = None
) -> list[SlaCheckpoint]:
    """Every checkpoint of both clocks, earliest first; a clock ``paused`` for a while has its checkpoints that much
    later (the resolve clock while a reopened incident was resolved)."""
    points = []
    for clock in Clock:
        length = deadline(targets, clock, opened_at) - opened_at
        start = opened_at + (paused or {}).get(clock, timedelta())
        for percent in CHECKPOINT_PERCENTS:
            points.append(SlaCheckpoint(clock=clock, percent=percent, at=start + length * percent / 100))
    return sorted(points, key=lambda point: (point.at, point.clock.value, point.percent))


def pending_checkpoints(
    targets: SlaTargets,
    opened_at: datetime,
    running: set[Clock],
    fired: set[str],
    paused: Mapping[Clock, timedelta] | None = None,
) -> list[SlaCheckpoint]:
    """Checkpoints of running clocks that have not been recorded yet, earliest first."""
    return [p for p in checkpoints(targets, opened_at, paused) if p.clock in running and p.key not in fired]
