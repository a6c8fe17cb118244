"""One input model in and one result model out for the workflow, every update, signal and activity.

New fields get defaults, so histories of open incidents keep decoding.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.budget import bounded_payload
from domain.catalog import Route
from domain.durations import Duration, format_duration
from domain.incident import IncidentState, Page
from domain.maintenance import MaintenanceWindow
from domain.models import IncidentReport, Priority, Status
from domain.oncall import OnCall
from domain.pauses import LONGEST_SNOOZE_LIMIT, SHORTEST_SNOOZE
from domain.priority import PriorityDecision

_Actor = Field(min_length=1, max_length=200)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IncidentInput(_Request):
    incident_id: str
    report: IncidentReport
    state: IncidentState | None = None
    """The incident so far, carried over when it continues as new to keep its history short."""
    history_limit: int = Field(default=10_000, ge=100)
    """Continue as new once the history has this many events (sooner if the server suggests it)."""


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


def _snooze_length(value: timedelta) -> timedelta:
    if value < SHORTEST_SNOOZE:
        raise ValueError(f"a snooze lasts at least {format_duration(SHORTEST_SNOOZE)}")
    if value > LONGEST_SNOOZE_LIMIT:
        raise ValueError(f"a snooze lasts at most {format_duration(LONGEST_SNOOZE_LIMIT)}")
    return value


SnoozeLength = Annotated[Duration, AfterValidator(_snooze_length)]
"""Between a minute and a week; the escalation policy may allow less (the incident checks that)."""


class SnoozeRequest(_Request):
    by: str = _Actor
    duration: SnoozeLength
    reason: str = Field(default="snoozed", min_length=1, max_length=2_000)


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
    markdown_path: str
    json_path: str


class AlertState(_Request):
    """One alert of a monitoring group, by fingerprint (Alertmanager), and whether it still fires."""

    fingerprint: str = Field(min_length=1, max_length=200)
    firing: bool


class TriggerRequest(_Request):
    """A trigger folded into the open incident for its key (or opening one): an alert, an event, a report."""

    source: str = Field(min_length=1, max_length=100)
    """Where it came from: ``api``, ``alertmanager``, ``pagerduty``."""
    dedup_key: str = Field(min_length=1, max_length=600)
    """The full key: the integration's routing key and the dedup or group key, joined."""
    summary: str = Field(min_length=1, max_length=1_024)
    payload: Annotated[dict[str, Any], AfterValidator(bounded_payload)] = Field(default_factory=dict)
    """The latest payload as received (kept, replaced by the next trigger); one larger than
    ``budget.MAX_PAYLOAD_BYTES`` is replaced by a summary before it reaches the incident."""
    alerts: list[AlertState] = Field(default_factory=list)
    """The group's alerts as of this trigger (Alertmanager); empty for single events."""
    auto_resolve: bool = False
    """Resolve the incident when every alert is resolved, unless a responder has taken it over."""
    integration: str | None = Field(default=None, min_length=1, max_length=100)
    """The configured integration that sent it; monitoring acts as ``monitoring:<integration>`` (else the source)."""


class TriggerBatch(_Request):
    """Triggers for one key that arrived together; folded in order."""

    triggers: list[TriggerRequest] = Field(min_length=1, max_length=1_000)


class TriggerResult(BaseModel):
    incident_id: str
    status: Status
    priority: Priority | None
    triggers: int
    """How many triggers the incident has received, this one (or this batch) included."""
    opened: bool
    """True when this trigger (the batch's first) opened the incident, False when folded into an open one."""
    accepted: int = 1
    """How many triggers of the batch the incident took; the rest came after it resolved and open a new one."""


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
