"""What an incident is: the report that opens it and the vocabulary used to describe it."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator


class Category(StrEnum):
    APPLICATION_ERROR = "application_error"
    SERVER_DOWNTIME = "server_downtime"
    API_DISRUPTION = "api_disruption"
    BROKEN_FEATURE = "broken_feature"
    NETWORK_PROBLEM = "network_problem"
    THIRD_PARTY_INTEGRATION = "third_party_integration"


class Source(StrEnum):
    """How the incident was identified."""

    TICKET = "ticket"
    MONITORING = "monitoring"
    INTERNAL = "internal"


class Impact(StrEnum):
    """How many users (or how much of the business) are affected."""

    ALL_USERS = "all_users"
    MANY_USERS = "many_users"
    SOME_USERS = "some_users"
    SINGLE_USER = "single_user"


class Urgency(StrEnum):
    """How fast the impact hurts."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"

    @property
    def label(self) -> str:
        return PRIORITY_LABELS[self]

    @property
    def rank(self) -> int:
        """1 for P1 (most severe) to 4 for P4."""
        return int(self.value[1])


PRIORITY_LABELS = {
    Priority.P1: "Critical",
    Priority.P2: "High",
    Priority.P3: "Medium",
    Priority.P4: "Low",
}


class Status(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"


class IncidentReport(BaseModel):
    """A report that opens an incident, from a service, a monitor or a person."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=20_000)
    service: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    category: Category
    source: Source
    impact: Impact
    urgency: Urgency
    reporter: str = Field(min_length=1, max_length=200)
    dedup_key: str | None = Field(default=None, min_length=1, max_length=255)
    labels: dict[str, str] = Field(default_factory=dict, max_length=64)
    occurred_at: AwareDatetime | None = None

    @field_validator("labels")
    @classmethod
    def _label_names(cls, labels: dict[str, str]) -> dict[str, str]:
        for name, value in labels.items():
            if not name or len(name) > 100:
                raise ValueError(f"label name {name!r} must be 1 to 100 characters")
            if len(value) > 1000:
                raise ValueError(f"label {name!r} is longer than 1000 characters")
        return labels


def format_validation_error(error: Exception) -> str:
    """One line per problem, each naming the field: ``impact: Input should be 'all_users', ...``."""
    if not isinstance(error, ValidationError):
        return str(error)
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "report"
        lines.append(f"{where}: {problem['msg']}")
    return "; ".join(lines)


def as_utc(moment: datetime) -> str:
    """A timestamp as people read it in records and messages."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
