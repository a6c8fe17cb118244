"""What an incident keeps of its history: timeline entries, pages waiting to go out, deliveries, escalations."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain.models import ReviewSection, UpdateState
from domain.policy.schedules import OnCall

TimelineData = dict[str, str | int | bool | None]


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    message: str
    actor: str | None = None
    data: TimelineData = Field(default_factory=dict)


class Page(BaseModel):
    """A message to people, waiting to be delivered through every channel."""

    step: str
    """Unique within the incident; with the incident id and channel it is the idempotency key."""
    kind: str
    recipients: list[str]
    subject: str
    text: str
    level: int | None = None
    title: str | None = None
    """The incident's title; None on pages queued before pages carried it."""
    acknowledge_by: datetime | None = None
    """The acknowledge SLA deadline while that clock runs; None once it stopped (or unknown)."""
    resolve_by: datetime | None = None
    """The resolve SLA deadline while that clock runs; None once resolved (or unknown)."""


class Reopen(BaseModel):
    """A resolution taken back: who reopened the incident when, and the resolution it undid."""

    at: datetime
    by: str
    reason: str
    resolved_at: datetime
    resolved_by: str | None
    """The resolution it undid (its summary and root cause stay on the timeline)."""


class Review(BaseModel):
    """The post-incident review: opened at the resolution, completed once its required sections are written."""

    opened_at: datetime
    required: list[ReviewSection]
    sections: dict[ReviewSection, str] = Field(default_factory=dict)
    completed_at: datetime | None = None
    completed_by: str | None = None

    def empty_required(self) -> list[ReviewSection]:
        return [section for section in self.required if not self.sections.get(section)]


class ActionItem(BaseModel):
    """Follow-up work from the incident: an owner, a due date, done or deferred with a reason."""

    number: int
    text: str
    owner: str
    due: datetime
    added_by: str
    added_at: datetime
    state: str = "open"
    """open, done or deferred."""
    closed_at: datetime | None = None
    closed_by: str | None = None
    reason: str | None = None
    """Why it was deferred."""
    reminders: int = 0
    """Reminders sent to the owner: when it fell due, then every ``REMIND_EVERY`` while overdue."""


class StatusUpdate(BaseModel):
    """A status update for stakeholders: where the response stands, in the poster's words."""

    at: datetime
    by: str
    state: UpdateState
    message: str
    told: list[str]
    """Who it was sent to (the catalog's subscribers for its service and priority, and those who subscribed)."""


class Delivery(BaseModel):
    """The final outcome of one page on one channel: who was notified when."""

    step: str
    channel: str
    recipients: list[str]
    outcome: str
    attempts: int
    detail: str
    at: datetime


class Escalation(BaseModel):
    index: int
    loop: int
    level: int
    recipients: list[str]
    at: datetime
    due: datetime
    by: str | None = None
    """The responder who escalated by hand; None when the timer did."""
    on_call: list[OnCall] = Field(default_factory=list)
    """Who was on call in each schedule the level targets, when it was paged."""
