"""Maintenance windows: while one is active for a service, its incidents are recorded but page nobody."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class MaintenanceWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str
    start: AwareDatetime
    end: AwareDatetime
    """Exclusive: an incident opened at ``end`` pages as usual."""
    reason: str = Field(default="planned maintenance", min_length=1, max_length=500)

    def active_at(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def active_window(windows: list[MaintenanceWindow], service: str, at: datetime) -> MaintenanceWindow | None:
    """The window of ``service`` active at ``at``; of overlapping ones, the one that ends last."""
    active = [window for window in windows if window.service == service and window.active_at(at)]
    return max(active, key=lambda window: window.end) if active else None
