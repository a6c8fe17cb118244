"""Closed incident records made by hand for the archive tests, and what tests do to an archive behind its back.

``closed(n)`` is the incident ``INC-<n>`` closed ``n`` hours after 2026-03-01 00:00 UTC, so a larger number closed
later; every field that a test does not set has a fixed value, so the same call gives the same canonical JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from adapters.archive import (
    ArchiveEntry,
    ArchiveRepository,
    ArchiveResult,
    archive_url,
    create_archive_engine,
    parse_database_url,
)
from adapters.settings import Settings
from domain.incident import TimelineEntry
from domain.models import Priority
from domain.views.record import IncidentRecord

START = datetime(2026, 3, 1, tzinfo=UTC)


def closed_at(number: int) -> datetime:
    return START + timedelta(hours=number)


def closed(
    number: int,
    *,
    service: str = "shop-payments",
    team: str | None = "payments",
    priority: Priority | None = Priority.P2,
    category: str = "application_error",
    title: str | None = None,
    description: str = "",
    notes: Sequence[str] = (),
    summary: str | None = "rolled back",
    root_cause: str | None = "a bad deploy",
    at: datetime | None = None,
) -> IncidentRecord:
    end = at or closed_at(number)
    opened = end - timedelta(minutes=40)
    return IncidentRecord(
        incident_id=f"INC-{number}",
        title=title or f"{service} trouble number {number}",
        description=description,
        service=service,
        category=category,
        source="monitoring",
        reporter="monitor",
        labels={},
        team=team,
        escalation_policy=f"{team}-policy" if team else None,
        priority=priority,
        priority_reason=None,
        opened_at=opened,
        occurred_at=None,
        acknowledged_at=opened + timedelta(minutes=5),
        acknowledged_by="amara",
        resolved_at=end,
        resolved_by="amara",
        closed_at=end,
        mtta_seconds=300.0,
        mttr_seconds=2400.0,
        sla=[],
        sla_breached=False,
        escalations=[],
        escalation_exhausted=False,
        notifications=[],
        resolution_summary=summary,
        root_cause=root_cause,
        timeline=[
            TimelineEntry(at=opened + timedelta(minutes=10 + index), kind="note.added", message=note, actor="amara")
            for index, note in enumerate(notes)
        ],
    )


def incident_ids(entries: Sequence[ArchiveEntry]) -> list[str]:
    return [entry.incident_id for entry in entries]


def tamper(engine: Engine, *statements: str, **values: object) -> None:
    """Run ``statements`` (with the bind parameters ``values``) as someone with direct access to the database would:
    the append-only triggers dropped (SQLite) or disabled (PostgreSQL) first, for good."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE archived_records DISABLE TRIGGER archived_records_append_only"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS archived_records_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS archived_records_no_delete"))
        for statement in statements:
            connection.execute(text(statement), values)


def swap_positions(first: int, second: int) -> list[str]:
    """The statements that exchange two rows' positions (through a free one: the position is the primary key)."""
    return [
        f"UPDATE archived_records SET position = -1 WHERE position = {first}",
        f"UPDATE archived_records SET position = {first} WHERE position = {second}",
        f"UPDATE archived_records SET position = {second} WHERE position = -1",
    ]


def archived_rows(engine: Engine) -> list[tuple[int, str, str, str]]:
    """Every row of the archive as (position, incident id, kind, content), in chain order."""
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT position, incident_id, kind, content FROM archived_records ORDER BY position")
        )
        return [(row.position, row.incident_id, row.kind, row.content) for row in found]


class RefusingArchive(ArchiveRepository):
    """An archive whose every append fails with ``error``, as the real one does when its database refuses."""

    def __init__(self, engine: Engine, error: Exception) -> None:
        super().__init__(engine)
        self._error = error
        self.attempts = 0

    def archive(self, record: IncidentRecord) -> ArchiveResult:
        self.attempts += 1
        raise self._error


def archived_record(where: Settings | Path, incident_id: str) -> IncidentRecord | None:
    """The latest archived record of ``incident_id`` in the archive of ``where``: those settings' archive, or the
    embedded default of a worker whose records directory is that path (``archive.db`` beside it)."""
    if isinstance(where, Path):
        url = parse_database_url(f"sqlite:///{where.parent / 'archive.db'}")
    else:
        url = archive_url(where)
    engine = create_archive_engine(url)
    try:
        return ArchiveRepository(engine).get(incident_id)
    finally:
        engine.dispose()
