"""Priority from impact × urgency, raised by the service's criticality. A table, not if/else."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.models import Impact, Priority, Urgency
from domain.policy.catalog import Criticality

MATRIX_VERSION = "impact-urgency/1"

P1, P2, P3, P4 = Priority.P1, Priority.P2, Priority.P3, Priority.P4

URGENCIES = (Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW)

_ROWS: dict[Impact, tuple[Priority, Priority, Priority]] = {
    #                     high medium low
    Impact.ALL_USERS:   (P1,  P2,    P3),
    Impact.MANY_USERS:  (P2,  P2,    P3),
    Impact.SOME_USERS:  (P2,  P3,    P4),
    Impact.SINGLE_USER: (P3,  P4,    P4),
}  # fmt: skip

PRIORITY_MATRIX: dict[tuple[Impact, Urgency], Priority] = {
    (impact, urgency): row[column] for impact, row in _ROWS.items() for column, urgency in enumerate(URGENCIES)
}


class CriticalityRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    raise_by: int
    """Levels to raise the matrix priority by (P3 raised by 1 is P2)."""
    floor: Priority
    """The lowest priority an incident of such a service can have."""


CRITICALITY_RULES: dict[Criticality, CriticalityRule] = {
    Criticality.CRITICAL: CriticalityRule(raise_by=1, floor=P2),
    Criticality.HIGH: CriticalityRule(raise_by=0, floor=P3),
    Criticality.STANDARD: CriticalityRule(raise_by=0, floor=P4),
}


class PriorityDecision(BaseModel):
    """A priority and why: the matrix cell, the rule applied and the versions used."""

    model_config = ConfigDict(frozen=True)

    priority: Priority
    matrix_priority: Priority
    cell: str
    rule: str
    matrix_version: str
    catalog_version: str
    set_by: str | None = None
    """The responder who set the priority by hand, if anyone did."""

    def explain(self) -> str:
        text = f"{self.priority.value} {self.priority.label}: {self.cell} → {self.matrix_priority.value}; {self.rule}"
        return f"{text} (matrix {self.matrix_version}, catalog {self.catalog_version})"


def _raise(priority: Priority, levels: int) -> Priority:
    return Priority(f"P{max(1, priority.rank - levels)}")


def decide_priority(
    impact: Impact, urgency: Urgency, criticality: Criticality, catalog_version: str
) -> PriorityDecision:
    matrix_priority = PRIORITY_MATRIX[(impact, urgency)]
    rule = CRITICALITY_RULES[criticality]
    raised = _raise(matrix_priority, rule.raise_by)
    priority = raised if raised.rank <= rule.floor.rank else rule.floor
    if priority == matrix_priority:
        applied = f"service criticality {criticality.value}: unchanged"
    elif rule.raise_by and raised == priority:
        applied = f"service criticality {criticality.value}: raised {rule.raise_by} level from {matrix_priority.value}"
    else:
        applied = f"service criticality {criticality.value}: at least {rule.floor.value}"
    return PriorityDecision(
        priority=priority,
        matrix_priority=matrix_priority,
        cell=f"impact {impact.value} × urgency {urgency.value}",
        rule=applied,
        matrix_version=MATRIX_VERSION,
        catalog_version=catalog_version,
    )


def manual_priority(previous: PriorityDecision, priority: Priority, by: str, reason: str) -> PriorityDecision:
    return previous.model_copy(
        update={"priority": priority, "rule": f"set to {priority.value} by {by}: {reason}", "set_by": by}
    )
