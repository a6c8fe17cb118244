"""Pauses in paging: how long a snooze may last, and what a snooze is.

A snooze is a responder's bounded pause: the incident counts as acknowledged, nothing pages, and when the snooze
ends the incident returns to triggered. The rules that apply it live in the incident core (``domain.incident``, through
``IncidentState``); the bounds live here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from domain.durations import format_duration

SHORTEST_SNOOZE = timedelta(minutes=1)
DEFAULT_LONGEST_SNOOZE = timedelta(hours=24)
"""A policy's longest snooze when the catalog names none."""
LONGEST_SNOOZE_LIMIT = timedelta(days=7)
"""No policy may allow more."""


class Snooze(BaseModel):
    by: str
    at: datetime
    until: datetime
    reason: str
    ended_at: datetime | None = None
    ended_by: str | None = None
    """Who ended it early (acknowledged, resolved, escalated, reassigned); None when it ran out."""


def snooze_refusal(duration: timedelta, longest: timedelta, policy_id: str) -> str | None:
    """Why a snooze of ``duration`` is refused, naming the bound; None when it is allowed."""
    if duration < SHORTEST_SNOOZE:
        shortest = format_duration(SHORTEST_SNOOZE)
        return f"cannot snooze for {format_duration(duration)}: a snooze lasts at least {shortest}"
    if duration > longest:
        return (
            f"cannot snooze for {format_duration(duration)}: policy {policy_id!r} allows at most "
            f"{format_duration(longest)}"
        )
    return None
