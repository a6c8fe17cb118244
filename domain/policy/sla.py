"""SLA clocks: time to acknowledge and time to resolve, each with warnings at 50% and 75% and a breach at 100%."""

from __future__ import annotations

from datetime import datetime
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


def checkpoints(targets: SlaTargets, opened_at: datetime) -> list[SlaCheckpoint]:
    """Every checkpoint of both clocks, earliest first."""
    points = []
    for clock in Clock:
        length = deadline(targets, clock, opened_at) - opened_at
        for percent in CHECKPOINT_PERCENTS:
            points.append(SlaCheckpoint(clock=clock, percent=percent, at=opened_at + length * percent / 100))
    return sorted(points, key=lambda point: (point.at, point.clock.value, point.percent))


def pending_checkpoints(
    targets: SlaTargets, opened_at: datetime, running: set[Clock], fired: set[str]
) -> list[SlaCheckpoint]:
    """Checkpoints of running clocks that have not been recorded yet, earliest first."""
    return [p for p in checkpoints(targets, opened_at) if p.clock in running and p.key not in fired]
