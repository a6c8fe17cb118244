"""Routing rules: ordered conditions on a report that send it to a team and an escalation policy.

The first rule whose every condition holds wins; when none does, the service's owner in the catalog (or the default
team) takes the incident. A condition is a plain string (equal) or ``{regex: ...}`` (the whole value must match).
A label condition on a label the report does not carry never holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pattern(_Strict):
    """``{regex: "^payments-.*"}``: the whole value must match (Python regular expression syntax)."""

    regex: str = Field(min_length=1, max_length=1_000)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        return value

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.regex, value) is not None


def _condition(value: object) -> str | Pattern:
    if isinstance(value, str | Pattern):
        return value
    if isinstance(value, dict) and set(value) == {"regex"}:
        return Pattern.model_validate(value)
    raise ValueError("a condition is a value to equal or {regex: <expression>}")


Condition = Annotated[str | Pattern, PlainValidator(_condition)]


def holds(condition: Condition, value: str | None) -> bool:
    if value is None:
        return False
    if isinstance(condition, Pattern):
        return condition.matches(value)
    return condition == value


def describe_condition(condition: Condition) -> str:
    return f"~ /{condition.regex}/" if isinstance(condition, Pattern) else f"= {condition!r}"


class Match(_Strict):
    """What a rule looks at; every condition given must hold. No condition at all matches every report."""

    service: Condition | None = None
    category: Condition | None = None
    source: Condition | None = None
    labels: dict[str, Condition] = Field(default_factory=dict)


class RoutingRule(_Strict):
    name: str = Field(min_length=1, max_length=100)
    match: Match
    team: str
    escalation_policy: str | None = None
    """The policy that pages; the team's own policy when left out."""


@dataclass(frozen=True)
class Subject:
    """What rules can look at in a report."""

    service: str
    category: str | None = None
    source: str | None = None
    labels: Mapping[str, str] | None = None


def rule_matches(rule: RoutingRule, subject: Subject) -> bool:
    fields = (
        (rule.match.service, subject.service),
        (rule.match.category, subject.category),
        (rule.match.source, subject.source),
    )
    if any(condition is not None and not holds(condition, value) for condition, value in fields):
        return False
    labels = subject.labels or {}
    return all(holds(condition, labels.get(name)) for name, condition in rule.match.labels.items())


def first_match(rules: list[RoutingRule], subject: Subject) -> RoutingRule | None:
    """The first rule, in catalog order, whose every condition holds for ``subject``."""
    return next((rule for rule in rules if rule_matches(rule, subject)), None)


def explain_match(rule: RoutingRule) -> str:
    """``service = 'bank-partner-api', labels.team ~ /sec.*/``, or ``every report`` for a catch-all."""
    parts = [
        f"{name} {describe_condition(condition)}"
        for name, condition in (
            ("service", rule.match.service),
            ("category", rule.match.category),
            ("source", rule.match.source),
        )
        if condition is not None
    ]
    parts += [f"labels.{name} {describe_condition(condition)}" for name, condition in rule.match.labels.items()]
    return ", ".join(parts) or "every report"
