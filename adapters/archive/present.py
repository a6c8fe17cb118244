"""The archive as the edges read it: the one the settings name, if anything was ever archived there."""

from __future__ import annotations

import asyncio
from pathlib import Path

from adapters.archive.engine import archive_url, create_archive_engine, is_sqlite
from adapters.archive.repository import ArchiveRepository
from adapters.settings import Settings
from domain.errors import ArchiveOutdated
from domain.views.record import IncidentStatusView, status_from_record


def open_archive(settings: Settings) -> ArchiveRepository | None:
    """The archive, or None when it is an embedded SQLite file that does not exist yet (nothing was archived)."""
    url = archive_url(settings)
    if is_sqlite(url) and (url.database is None or not Path(url.database).exists()):
        return None
    return ArchiveRepository(create_archive_engine(url))


async def archived_status(archive: ArchiveRepository | None, incident_id: str) -> IncidentStatusView | None:
    """The status view of a closed incident whose history Temporal no longer keeps, from its archived record; None
    when the archive has no record of it (or was never set up)."""
    if archive is None:
        return None
    try:
        record = await asyncio.to_thread(archive.get, incident_id)
    except ArchiveOutdated:
        return None  # an archive that was never set up holds no record
    return status_from_record(record) if record is not None else None
