"""The incident archive: every closed incident's record in a database (SQLite embedded, or PostgreSQL), append-only
and chained for tamper evidence, with the closed list, full-text search and the migrations.

    engine = create_archive_engine(archive_url(settings))   # once, in main(); engine.dispose() at the end
    archive = ArchiveRepository(engine)
    archive.archive(record)          # -> ArchiveResult(position, created, kind)
    archive.get("INC-…")             # the latest version, or None
    archive.list_closed(ClosedFilters(service="shop-payments"), after=page.next, limit=50)
    archive.search("database timeout", limit=20)
    archive.verify()                 # None, or the first BrokenLink
"""

from adapters.archive.engine import archive_url, create_archive_engine, describe, is_sqlite, parse_database_url
from adapters.archive.models import SCHEMA_REVISION
from adapters.archive.paging import ClosedFilters, ClosedPage
from adapters.archive.repository import ArchiveRepository, ArchiveResult, ArchiveSummary
from adapters.archive.rows import ArchiveEntry
from adapters.archive.schema import check_schema, current_revisions, upgrade_archive
from domain.views.archive_chain import BrokenLink

__all__ = [
    "SCHEMA_REVISION",
    "ArchiveEntry",
    "ArchiveRepository",
    "ArchiveResult",
    "ArchiveSummary",
    "BrokenLink",
    "ClosedFilters",
    "ClosedPage",
    "archive_url",
    "check_schema",
    "create_archive_engine",
    "current_revisions",
    "describe",
    "is_sqlite",
    "parse_database_url",
    "upgrade_archive",
]
