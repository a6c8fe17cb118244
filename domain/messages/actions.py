"""The messages responders and monitoring send an incident: the inputs and results of its updates and signals.

New fields get defaults, so histories of open incidents keep decoding. Nothing here loads the incident core.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from domain.durations import Duration, format_duration
from domain.models import MultiLine, Priority, ReviewSection, Role, SingleLine, Status, UpdateState
from domain.policy.snooze import LONGEST_SNOOZE_LIMIT, SHORTEST_SNOOZE

MAX_PAYLOAD_BYTES = 8 * 1024
MAX_PAYLOAD_KEYS = 32
"""Top-level keys named in the summary of a payload too large to keep."""


def bounded_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload itself when it fits ``MAX_PAYLOAD_BYTES`` as JSON, else a summary saying what was left out."""
    size = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8"))
    if size <= MAX_PAYLOAD_BYTES:
        return dict(payload)
    keys = [str(key)[:100] for key in list(payload)[:MAX_PAYLOAD_KEYS]]
    return {
        "truncated": True,
        "bytes": size,
        "limit": MAX_PAYLOAD_BYTES,
        "keys": keys,
        "keys_total": len(payload),
    }


_Actor = Field(min_length=1, max_length=200)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AcknowledgeRequest(_Request):
    by: SingleLine = _Actor


class ResolveRequest(_Request):
    by: SingleLine = _Actor
    summary: MultiLine = Field(min_length=1, max_length=5_000)
    root_cause: MultiLine = Field(min_length=1, max_length=5_000)


class ReopenRequest(_Request):
    by: SingleLine = _Actor
    reason: MultiLine = Field(min_length=1, max_length=2_000)


class RoleRequest(_Request):
    by: SingleLine = _Actor
    role: Role
    user: SingleLine = Field(min_length=1, max_length=200)


class ReviewRequest(_Request):
    by: SingleLine = _Actor
    section: ReviewSection
    text: MultiLine = Field(min_length=1, max_length=10_000)


class CompleteReviewRequest(_Request):
    by: SingleLine = _Actor


class ActionAddRequest(_Request):
    by: SingleLine = _Actor
    owner: SingleLine = Field(min_length=1, max_length=200)
    due: AwareDatetime
    text: MultiLine = Field(min_length=1, max_length=2_000)


class ActionDoneRequest(_Request):
    by: SingleLine = _Actor
    number: int = Field(ge=1)


class ActionDeferRequest(_Request):
    by: SingleLine = _Actor
    number: int = Field(ge=1)
    reason: MultiLine = Field(min_length=1, max_length=2_000)


class StatusUpdateRequest(_Request):
    by: SingleLine = _Actor
    state: UpdateState
    message: MultiLine = Field(min_length=1, max_length=5_000)


class SubscribeRequest(_Request):
    by: SingleLine = _Actor


class RepolicyRequest(_Request):
    by: SingleLine = _Actor


class CloseByHandRequest(_Request):
    by: SingleLine = _Actor


class NoteRequest(_Request):
    by: SingleLine = _Actor
    text: MultiLine = Field(min_length=1, max_length=10_000)


class EscalateRequest(_Request):
    by: SingleLine = _Actor
    reason: MultiLine = Field(default="escalated by hand", min_length=1, max_length=2_000)


class ReassignRequest(_Request):
    by: SingleLine = _Actor
    to: SingleLine = Field(min_length=1, max_length=200)
    reason: MultiLine = Field(default="reassigned", min_length=1, max_length=2_000)


class SetPriorityRequest(_Request):
    by: SingleLine = _Actor
    priority: Priority
    reason: MultiLine = Field(min_length=1, max_length=2_000)


def _snooze_length(value: timedelta) -> timedelta:
    if value < SHORTEST_SNOOZE:
        raise ValueError(f"a snooze lasts at least {format_duration(SHORTEST_SNOOZE)}")
    if value > LONGEST_SNOOZE_LIMIT:
        raise ValueError(f"a snooze lasts at most {format_duration(LONGEST_SNOOZE_LIMIT)}")
    return value


SnoozeLength = Annotated[Duration, AfterValidator(_snooze_length)]
"""Between a minute and a week; the escalation policy may allow less (the incident checks that)."""


class SnoozeRequest(_Request):
    by: SingleLine = _Actor
    duration: SnoozeLength
    reason: MultiLine = Field(default="snoozed", min_length=1, max_length=2_000)


class ActionResult(BaseModel):
    """What an update answers: the incident's status after the action."""

    incident_id: str
    status: Status
    priority: Priority | None
    assignee: str | None
    escalation_level: int | None


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
