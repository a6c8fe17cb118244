"""What an incident is: the report that opens it and the vocabulary used to describe it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from domain.text import first_control_character, replace_control_characters


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


class ReviewSection(StrEnum):
    """The sections of a post-incident review."""

    SUMMARY = "summary"
    CUSTOMER_IMPACT = "customer_impact"
    ROOT_CAUSE = "root_cause"
    DETECTION = "detection"
    WENT_WELL = "went_well"
    WENT_BADLY = "went_badly"
    LESSONS = "lessons"


class UpdateState(StrEnum):
    """Where the response stands, as a status update tells stakeholders."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"


class Role(StrEnum):
    """The people around an incident besides whoever is paged: who leads it, who keeps its notes, who tells others."""

    COMMANDER = "commander"
    SCRIBE = "scribe"
    COMMUNICATIONS = "communications"


# ---- text and time as the edges accept them ------------------------------------------------------------------
#
# Control characters (domain.text) are refused wherever a report comes in (HTTP, the CLI, the monitoring formats,
# which remove them before building the report). A report read back from Temporal is JSON: there each such character
# becomes U+FFFD instead, so an incident opened before the rule, with a NUL in its title, still decodes and runs.
# Edges therefore validate decoded objects, never JSON text (FastAPI, the CLI and the intake formats do; the 422s in
# tests/api/test_control_characters_and_dates.py would catch an edge that repairs instead of refusing).

SINGLE_LINE_PROBLEM = "must not contain control characters or line breaks (found {character})"
MULTI_LINE_PROBLEM = "must not contain control characters other than line feed and tab (found {character})"
NOT_A_DATE = "must be an ISO 8601 date and time with a time zone, such as 2026-11-28T06:00:00Z: a number is not a date"

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _refuse_control_characters(multiline: bool) -> AfterValidator:
    def check(value: str) -> str:
        character = first_control_character(value, multiline)
        if character is not None:
            template = MULTI_LINE_PROBLEM if multiline else SINGLE_LINE_PROBLEM
            raise PydanticCustomError("control_character", template, {"character": character})
        return value

    return AfterValidator(check)


def _repair_stored(multiline: bool) -> BeforeValidator:
    def repair(value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            if multiline:
                value = value.replace("\r\n", "\n")  # what a browser's form sends: a line feed, like any other
            if info.mode == "json":
                value = replace_control_characters(value, multiline)
        return value

    return BeforeValidator(repair)


SingleLine = Annotated[str, _repair_stored(multiline=False), _refuse_control_characters(multiline=False)]
"""Text on one line: no control character at all (no tab, no line break)."""
MultiLine = Annotated[str, _repair_stored(multiline=True), _refuse_control_characters(multiline=True)]
"""Text that may hold line feeds and tabs, and no other control character; CRLF is read as a line feed."""


def _not_a_number(value: object) -> object:
    """Pydantic reads ``0`` or ``"0"`` as 1970-01-01 (Unix seconds); a date must be written as one."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise PydanticCustomError("datetime_number", NOT_A_DATE)
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_not_a_number)]
"""A moment written as ISO 8601 text with a time zone; a number (or a string of digits) is refused."""


MAX_DESCRIPTION_BYTES = 32 * 1024
MAX_LABEL_BYTES = 16 * 1024
"""A report's share of its incident's size budget (``domain.incident.budget``): besides 20,000 characters of
description and
64 labels of 1,000 characters, a bound in bytes, since a character can take four."""


class ReportContent(BaseModel):
    """What a report says; the body of ``POST /v1/incidents``, which takes the reporter from the credentials."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: SingleLine = Field(min_length=3, max_length=200)
    description: MultiLine = Field(default="", max_length=20_000)
    service: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    category: Category
    source: Source
    impact: Impact
    urgency: Urgency
    on_behalf_of: (
        Annotated[
            str,
            Field(min_length=1, max_length=200),
            _repair_stored(multiline=False),
            _refuse_control_characters(multiline=False),
        ]
        | None
    ) = None
    """Free text from the reporter ("support desk, ticket 4711"): whom it reports for. Never an actor."""
    dedup_key: (
        Annotated[
            str,
            Field(min_length=1, max_length=255),
            _repair_stored(multiline=False),
            _refuse_control_characters(multiline=False),
        ]
        | None
    ) = None
    labels: dict[str, str] = Field(default_factory=dict, max_length=64)
    occurred_at: Timestamp | None = None

    @field_validator("labels", mode="before")
    @classmethod
    def _repair_stored_labels(cls, labels: object, info: ValidationInfo) -> object:
        if info.mode != "json" or not isinstance(labels, dict):
            return labels
        return {
            replace_control_characters(name) if isinstance(name, str) else name: (
                replace_control_characters(value) if isinstance(value, str) else value
            )
            for name, value in labels.items()
        }

    @field_validator("labels")
    @classmethod
    def _label_names(cls, labels: dict[str, str]) -> dict[str, str]:
        for name, value in labels.items():
            if not name or len(name) > 100:
                raise ValueError(f"label name {name!r} must be 1 to 100 characters")
            if len(value) > 1000:
                raise ValueError(f"label {name!r} is longer than 1000 characters")
            if (character := first_control_character(name)) is not None:
                raise ValueError(f"label name {name!r} {SINGLE_LINE_PROBLEM.format(character=character)}")
            if (character := first_control_character(value)) is not None:
                raise ValueError(f"label {name!r} {SINGLE_LINE_PROBLEM.format(character=character)}")
        size = sum(len(name.encode("utf-8")) + len(value.encode("utf-8")) for name, value in labels.items())
        if size > MAX_LABEL_BYTES:
            raise ValueError(f"labels hold {size} bytes in UTF-8, names and values together; at most {MAX_LABEL_BYTES}")
        return labels

    @field_validator("description")
    @classmethod
    def _description_size(cls, description: str) -> str:
        size = len(description.encode("utf-8"))
        if size > MAX_DESCRIPTION_BYTES:
            raise ValueError(f"the description is {size} bytes in UTF-8; at most {MAX_DESCRIPTION_BYTES}")
        return description


class IncidentReport(ReportContent):
    """A report that opens an incident, from a service, a monitor or a person."""

    reporter: SingleLine = Field(min_length=1, max_length=200)
    """Who reported it: over HTTP always the authenticated caller (a responder, or ``<kind>:<integration>``)."""


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
