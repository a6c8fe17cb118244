"""Walking an escalation policy: ordered levels, each with a delay, the whole path repeated ``repeat`` times."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from domain.durations import Duration
from domain.policy.catalog import EscalationPolicy, Target


class EscalationStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    """Position on the whole path, 0-based, counting repeats."""
    loop: int
    """Which pass over the levels, 1-based."""
    level: int
    """Which level of the policy, 1-based."""
    targets: list[Target]
    delay: Duration


def path_length(policy: EscalationPolicy) -> int:
    return len(policy.levels) * (policy.repeat + 1)


def step_at(policy: EscalationPolicy, index: int) -> EscalationStep | None:
    """The step at ``index`` on the path, or None once the path is exhausted."""
    if index < 0 or index >= path_length(policy):
        return None
    loop, level_index = divmod(index, len(policy.levels))
    level = policy.levels[level_index]
    return EscalationStep(
        index=index, loop=loop + 1, level=level_index + 1, targets=list(level.targets), delay=level.delay
    )


def schedule(policy: EscalationPolicy) -> list[timedelta]:
    """When each step is paged, as an offset from the first page, when nobody acknowledges."""
    offsets, elapsed = [], timedelta(0)
    for index in range(path_length(policy)):
        offsets.append(elapsed)
        step = step_at(policy, index)
        assert step is not None
        elapsed += step.delay
    return offsets
