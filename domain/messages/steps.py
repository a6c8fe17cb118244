"""The messages of an incident's own steps: the workflow's input and the inputs and results of its activities.

New fields get defaults, so histories of open incidents keep decoding.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain.incident import IncidentState, Page
from domain.messages.actions import _Request
from domain.models import IncidentReport, Priority
from domain.policy.catalog import Route
from domain.policy.maintenance import MaintenanceWindow
from domain.policy.priority import PriorityDecision
from domain.policy.schedules import OnCall


class IncidentInput(_Request):
    incident_id: str
    report: IncidentReport
    state: IncidentState | None = None
    """The incident so far, carried over when it continues as new to keep its history short."""
    history_limit: int = Field(default=10_000, ge=100)
    """Continue as new once the history has this many events (sooner if the server suggests it)."""


class ClassifyRequest(BaseModel):
    incident_id: str
    report: IncidentReport
    at: datetime | None = None
    """When the incident opened (workflow time), to find an active maintenance window; None: no window."""


class Classification(BaseModel):
    decision: PriorityDecision
    route: Route
    channels: list[str]
    """The notification channels configured on the worker, by name."""
    maintenance: MaintenanceWindow | None = None
    """The service's maintenance window active when the incident opened: it pages nobody until the window ends."""


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
    markdown_path: str | None = None
    """The exported Markdown, None when the worker exports no files (INCIDENTS_EXPORT_RECORDS unset)."""
    json_path: str | None = None
    archive_position: int | None = None
    """The archive's row that holds the record (None in results of versions that had no archive)."""
    archive_created: bool | None = None
    """False when an earlier attempt (or another worker) had already archived the same record."""


class OnCallRequest(BaseModel):
    """Who is on call in these schedules at workflow time ``at`` (the moment a level that targets them fires)."""

    incident_id: str
    schedules: list[str]
    at: datetime


class OnCallResult(BaseModel):
    at: datetime
    answers: dict[str, OnCall]
    """Schedule → who is on call (or nobody) and what decided it."""
    unknown: list[str] = Field(default_factory=list)
    """Schedules the worker's catalog does not have (it changed since the incident was routed): nobody on call."""
    catalog_version: str = ""
