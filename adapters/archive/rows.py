"""Between records and rows: the query columns copied out of a record, and what listings and searches return."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from adapters.archive.models import ArchivedRecord
from domain.models import Priority
from domain.policy.sla import Clock
from domain.views.record import IncidentRecord
from domain.views.stats import escalation_count, sla_verdict

NOTE = "note.added"
"""The timeline kind of a responder's note (``domain.incident._actions.add_note``)."""


def search_text(record: IncidentRecord) -> str:
    """What full-text search looks at: title, description, notes, resolution summary and root cause."""
    notes = [entry.message for entry in record.timeline if entry.kind == NOTE]
    parts = [record.title, record.description, *notes, record.resolution_summary or "", record.root_cause or ""]
    return "\n".join(part for part in parts if part)


def query_columns(record: IncidentRecord) -> dict[str, Any]:
    """The columns copied out of the record (``incidents archive verify`` checks each row's against its content)."""
    return {
        "incident_id": record.incident_id,
        "service": record.service,
        "team": record.team,
        "priority": record.priority.value if record.priority else None,
        "category": record.category,
        "title": record.title,
        "opened_at": record.opened_at,
        "closed_at": record.closed_at or record.resolved_at or record.opened_at,
        "mtta_seconds": record.mtta_seconds,
        "mttr_seconds": record.mttr_seconds,
        "sla_breached": record.sla_breached,
        "acknowledge_sla": sla_verdict(record, Clock.ACKNOWLEDGE),
        "resolve_sla": sla_verdict(record, Clock.RESOLVE),
        "escalations": escalation_count(record),
        "search_text": search_text(record),
    }


QUERY_COLUMNS = (
    "incident_id",
    "service",
    "team",
    "priority",
    "category",
    "title",
    "opened_at",
    "closed_at",
    "mtta_seconds",
    "mttr_seconds",
    "sla_breached",
    "acknowledge_sla",
    "resolve_sla",
    "escalations",
    "search_text",
)
"""The names ``query_columns`` gives, in its order."""


def columns_differ(content: str, row: Mapping[str, Any]) -> tuple[str, ...]:
    """The query columns of ``row`` whose values are not what ``content`` gives (every one when it is no record)."""
    try:
        record = IncidentRecord.model_validate_json(content)
    except ValidationError:
        return QUERY_COLUMNS
    return tuple(name for name, value in query_columns(record).items() if row[name] != value)


class ArchiveEntry(BaseModel):
    """One archived incident in a listing or a search: its latest version's query columns."""

    position: int
    kind: str
    """``record``, or ``correction`` when the latest version corrects an earlier one."""
    corrects: int | None
    incident_id: str
    title: str
    service: str
    team: str | None
    priority: Priority | None
    category: str
    opened_at: datetime
    closed_at: datetime
    mtta_seconds: float | None
    mttr_seconds: float | None
    sla_breached: bool


def entry(row: ArchivedRecord) -> ArchiveEntry:
    return ArchiveEntry(
        position=row.position,
        kind=row.kind,
        corrects=row.corrects,
        incident_id=row.incident_id,
        title=row.title,
        service=row.service,
        team=row.team,
        priority=Priority(row.priority) if row.priority else None,
        category=row.category,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        mtta_seconds=row.mtta_seconds,
        mttr_seconds=row.mttr_seconds,
        sla_breached=row.sla_breached,
    )
