"""What an incident keeps of its history: timeline entries, pages waiting to go out, deliveries, escalations."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

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
