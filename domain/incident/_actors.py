"""Who acts on an incident, and what a responder's action changes besides the action itself.

Monitoring acts as ``monitoring:<integration>``. The first responder who acts takes the incident over (monitoring no
longer resolves it on its own), and every responder action restarts the acknowledgement timeout.
"""

from __future__ import annotations

from datetime import datetime

from domain.incident._state import IncidentState, is_system_actor


def taken_over(state: IncidentState, by: str) -> None:
    if state.taken_over_by is None and not is_system_actor(by):
        state.taken_over_by = by


def responder_active(state: IncidentState, by: str, now: datetime) -> None:
    if not is_system_actor(by):
        state.last_activity_at, state.reminded_at = now, None
