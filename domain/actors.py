"""Who acts on an incident: monitoring or a responder, and what a responder's action changes.

Monitoring acts as ``monitoring:<integration>``. The first responder who acts takes the incident over (monitoring no
longer resolves it on its own), and every responder action restarts the acknowledgement timeout.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.incident import IncidentState

SYSTEM_ACTOR_PREFIX = "monitoring:"


def is_system_actor(actor: str) -> bool:
    """Monitoring acts on incidents as ``monitoring:<integration>``; it is no user of the catalog."""
    return actor.startswith(SYSTEM_ACTOR_PREFIX) and len(actor) > len(SYSTEM_ACTOR_PREFIX)


def taken_over(state: IncidentState, by: str) -> None:
    if state.taken_over_by is None and not is_system_actor(by):
        state.taken_over_by = by


def responder_active(state: IncidentState, by: str, now: datetime) -> None:
    if not is_system_actor(by):
        state.last_activity_at, state.reminded_at = now, None
