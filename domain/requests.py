"""One input model in and one result model out for the workflow, every update, signal and activity.

New fields get defaults, so histories of open incidents keep decoding.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.catalog import Route
from domain.incident import IncidentState, Page
from domain.models import IncidentReport, Priority, Status
from domain.priority import PriorityDecision

_Actor = Field(min_length=1, max_length=200)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IncidentInput(_Request):
    incident_id: str
    report: IncidentReport


class AcknowledgeRequest(_Request):
    by: str = _Actor


class ResolveRequest(_Request):
    by: str = _Actor
    summary: str = Field(min_length=1, max_length=5_000)
    root_cause: str = Field(min_length=1, max_length=5_000)


class NoteRequest(_Request):
    by: str = _Actor
    text: str = Field(min_length=1, max_length=10_000)


class EscalateRequest(_Request):
    by: str = _Actor
    reason: str = Field(default="escalated by hand", min_length=1, max_length=2_000)


class ReassignRequest(_Request):
    by: str = _Actor
    to: str = Field(min_length=1, max_length=200)
    reason: str = Field(default="reassigned", min_length=1, max_length=2_000)


class SetPriorityRequest(_Request):
    by: str = _Actor
    priority: Priority
    reason: str = Field(min_length=1, max_length=2_000)


class ActionResult(BaseModel):
    """What an update answers: the incident's status after the action."""

    incident_id: str
    status: Status
    priority: Priority | None
    assignee: str | None
    escalation_level: int | None


class ClassifyRequest(BaseModel):
    incident_id: str
    report: IncidentReport


class Classification(BaseModel):
    decision: PriorityDecision
    route: Route
    channels: list[str]
    """The notification channels configured on the worker, by name."""


class NotificationRequest(BaseModel):
    incident_id: str
    channel: str
    page: Page
    priority: Priority | None
    service: str
    idempotency_key: str


class DeliveryResult(BaseModel):
    channel: str
    detail: str


class CloseRequest(BaseModel):
    state: IncidentState
    closed_at: datetime


class DocumentResult(BaseModel):
    markdown_path: str
    json_path: str
