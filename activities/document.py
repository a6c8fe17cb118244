"""Document the closed incident: its record into the archive (the store), then, when the worker exports records
(INCIDENTS_EXPORT_RECORDS), Markdown for people and JSON for machines into its records directory. The same record
gives the same row and the same files, whichever worker runs it, however often it is retried.

The archive's calls block, so they run in a thread. Its database down or at an older schema fails the attempt
retryably: the workflow's retry policy never gives up, so the incident waits to be documented and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.archive import ArchiveRepository, ArchiveResult
from adapters.record_files import write_record_files
from domain.errors import ArchiveError, ArchiveOutdated, ArchiveUnavailable
from domain.messages.steps import DocumentResult
from domain.views.record import IncidentRecord

logger = logging.getLogger("incidents.document")

RETRIED = (ArchiveUnavailable, ArchiveOutdated)
"""Archive errors that pass once someone acts (the database back, the migration run): the attempt is retried."""


def _refused(error: ArchiveError) -> ApplicationError:
    """The archive's error as the attempt's failure, its one-line message kept; retryable unless it never passes."""
    return ApplicationError(str(error), type=type(error).__name__, non_retryable=not isinstance(error, RETRIED))


class DocumentActivities:
    def __init__(self, records_dir: Path | None, archive: ArchiveRepository) -> None:
        """``records_dir`` None: the archive only, no files."""
        self._records_dir = records_dir
        self._archive = archive

    @activity.defn(name="document_incident")
    async def document_incident(self, record: IncidentRecord) -> DocumentResult:
        archived = await self._store(record)
        result = DocumentResult(archive_position=archived.position, archive_created=archived.created)
        if self._records_dir is None:
            return result
        markdown, machine = write_record_files(self._records_dir, record)
        return result.model_copy(update={"markdown_path": str(markdown), "json_path": str(machine)})

    async def _store(self, record: IncidentRecord) -> ArchiveResult:
        try:
            archived = await asyncio.to_thread(self._archive.archive, record)
        except ArchiveError as error:
            attempt = activity.info().attempt
            logger.warning("%s not archived (attempt %d): %s", record.incident_id, attempt, error)
            # The message names the database and the driver's reason on one line; the chain under it (driver errors
            # with their SQL and tracebacks) would make the failure too large for the server to keep as the pending
            # attempt's last failure, which would then read only "Failure exceeds size limit." in the UI.
            raise _refused(error) from None
        state = "archived" if archived.created else "already archived"
        logger.info("%s %s at position %d (%s)", record.incident_id, state, archived.position, archived.kind)
        return archived
