"""The archive of closed incidents, behind one repository: SQL stays here, the domain sees records.

Appends are serialized so the chain stays whole with several writers: on PostgreSQL the transaction takes an
advisory lock first (``pg_advisory_xact_lock``), on SQLite it begins IMMEDIATE (the database's write lock). Inside
it the head of the chain is read, the new row is linked to it, and the transaction commits; the unique indexes (one
original row per incident, one row per incident and content) hold even against a writer that skipped the lock.

Every method is one unit of work in its own session. They are blocking calls: run them in a thread from async code
(``asyncio.to_thread``).

The schema is checked once, on first use. With ``upgrade_embedded`` (the worker's default archive) an embedded SQLite
file that is missing or behind is migrated then instead, once, under a lock; a PostgreSQL archive never is: it stays
ArchiveOutdated until its operator runs ``incidents archive upgrade``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Row, func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.archive.engine import WRITE, is_sqlite, reachable
from adapters.archive.models import SCHEMA_REVISION, ArchivedRecord
from adapters.archive.paging import ClosedFilters, ClosedPage, closed_page_query, encode_cursor, latest_versions
from adapters.archive.rows import QUERY_COLUMNS, ArchiveEntry, columns_differ, entry, query_columns
from adapters.archive.schema import check_schema, current_revisions, upgrade_archive
from adapters.archive.search import search_query
from adapters.archive.stats import stats_query
from domain.views.archive_chain import (
    CORRECTION,
    GENESIS,
    RECORD,
    BrokenLink,
    ChainLink,
    canonical_json,
    chain_digest,
    content_digest,
    find_break,
)
from domain.views.record import IncidentRecord
from domain.views.stats import IncidentStats, StatsFilter, StatsRow, stats_from_rows

ADVISORY_LOCK = 0x1AC1DE47A2C41FE5
"""PostgreSQL's advisory lock key of the archive's appends (any bigint; this one is the archive's)."""
VERIFY_BATCH = 500


@dataclass(frozen=True)
class ArchiveResult:
    position: int
    """The row that holds the record: the new one, or the one that already had the same content."""
    created: bool
    """False when the incident was already archived with this content (nothing was written)."""
    kind: str
    """``record`` (the incident's first row) or ``correction``."""


@dataclass(frozen=True)
class ArchiveSummary:
    records: int
    """Rows in the chain (the last position)."""
    head: str
    """The last row's chain digest (``GENESIS`` when empty): what an auditor writes down to notice truncation."""


@dataclass(frozen=True)
class _Head:
    position: int
    digest: str


class ArchiveRepository:
    def __init__(self, engine: Engine, *, upgrade_embedded: bool = False) -> None:
        self._engine = engine
        self._upgrade = upgrade_embedded and is_sqlite(engine.url)
        self._schema_lock = threading.Lock()
        self._reads = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(engine.execution_options(**{WRITE: True}), expire_on_commit=False)
        self._schema_checked = False

    def check_schema(self) -> None:
        """ArchiveOutdated unless the database is at this code's schema (checked once, then before nothing else);
        with ``upgrade_embedded``, a SQLite archive not at it is migrated instead."""
        if self._schema_checked:
            return
        with self._schema_lock:
            if self._schema_checked:
                return
            if self._upgrade and current_revisions(self._engine) != (SCHEMA_REVISION,):
                upgrade_archive(self._engine)
            check_schema(self._engine)
            self._schema_checked = True

    def archive(self, record: IncidentRecord) -> ArchiveResult:
        """Append the record; the same content again is a no-op, a different one for the incident a correction."""
        (result,) = self.archive_all([record])
        return result

    def archive_all(self, records: Iterable[IncidentRecord]) -> list[ArchiveResult]:
        """Append every record in one transaction, in order: all of them, or none."""
        self.check_schema()
        now = datetime.now(UTC)
        with reachable(self._engine.url), self._writes.begin() as session:
            self._lock(session)
            head = self._head(session)
            results = []
            for record in records:
                result, head = self._append(session, record, head, now)
                results.append(result)
            return results

    def get(self, incident_id: str) -> IncidentRecord | None:
        """The incident's latest archived record (its last correction, if any), or None."""
        self.check_schema()
        with reachable(self._engine.url), self._reads.begin() as session:
            content = session.scalar(
                select(ArchivedRecord.content)
                .where(ArchivedRecord.incident_id == incident_id)
                .order_by(ArchivedRecord.position.desc())
                .limit(1)
            )
        return IncidentRecord.model_validate_json(content) if content is not None else None

    def versions(self, incident_id: str) -> list[ArchiveEntry]:
        """Every row of the incident, oldest first: its record, then each correction."""
        self.check_schema()
        with reachable(self._engine.url), self._reads.begin() as session:
            rows = session.scalars(
                select(ArchivedRecord)
                .where(ArchivedRecord.incident_id == incident_id)
                .order_by(ArchivedRecord.position)
            )
            return [entry(row) for row in rows]

    def summary(self) -> ArchiveSummary:
        self.check_schema()
        with reachable(self._engine.url), self._reads.begin() as session:
            head = self._head(session)
        return ArchiveSummary(records=head.position, head=head.digest)

    def verify(self, upto: int | None = None) -> BrokenLink | None:
        """Walk the chain from the first record (up to position ``upto``); the first broken link, or None."""
        self.check_schema()
        columns = (
            ArchivedRecord.position,
            ArchivedRecord.incident_id,
            ArchivedRecord.kind,
            ArchivedRecord.corrects,
            ArchivedRecord.content,
            ArchivedRecord.content_digest,
            ArchivedRecord.previous_digest,
            ArchivedRecord.chain_digest,
        )
        copies = [getattr(ArchivedRecord, name) for name in QUERY_COLUMNS]
        query = select(*columns, *copies).order_by(ArchivedRecord.position)
        if upto is not None:
            query = query.where(ArchivedRecord.position <= upto)
        with reachable(self._engine.url), self._reads.begin() as session:
            rows = session.execute(query.execution_options(yield_per=VERIFY_BATCH))

            def locate(digest: str) -> int | None:
                return session.scalar(select(ArchivedRecord.position).where(ArchivedRecord.chain_digest == digest))

            def link(row: Row[Any]) -> ChainLink:
                position, incident_id, kind, corrects, content, digest, previous, chained = row[: len(columns)]
                copied = dict(zip(QUERY_COLUMNS, row[len(columns) :], strict=True))
                differ = columns_differ(content, copied)
                return ChainLink(position, incident_id, kind, corrects, content, digest, previous, chained, differ)

            try:
                return find_break((link(row) for row in rows), locate)
            finally:
                rows.close()  # a walk that stopped at a break leaves PostgreSQL's server-side cursor open

    def list_closed(
        self, filters: ClosedFilters | None = None, after: str | None = None, limit: int = 50
    ) -> ClosedPage:
        """Closed incidents (latest versions), newest first; ``after`` is the ``next`` of the page before."""
        self.check_schema()
        query = closed_page_query(filters or ClosedFilters(), after, limit)
        with reachable(self._engine.url), self._reads.begin() as session:
            rows = list(session.scalars(query))
        shown = rows[:limit]
        more = len(rows) > limit
        cursor = encode_cursor(shown[-1].closed_at, shown[-1].position) if more else None
        return ClosedPage(entries=[entry(row) for row in shown], next=cursor)

    def similar(self, service: str, category: str, excluding: str, limit: int = 5) -> list[ArchiveEntry]:
        """Closed incidents of ``service`` and ``category`` (but ``excluding``), most recently closed first."""
        self.check_schema()
        query = (
            latest_versions()
            .where(
                ArchivedRecord.service == service,
                ArchivedRecord.category == category,
                ArchivedRecord.incident_id != excluding,
            )
            .order_by(ArchivedRecord.closed_at.desc(), ArchivedRecord.position.desc())
            .limit(limit)
        )
        with reachable(self._engine.url), self._reads.begin() as session:
            return [entry(row) for row in session.scalars(query)]

    def opened_between(self, since: datetime, until: datetime) -> list[IncidentRecord]:
        """The latest record of every archived incident opened in [since, until): what ``incidents stats`` counts."""
        self.check_schema()
        query = latest_versions().where(ArchivedRecord.opened_at >= since, ArchivedRecord.opened_at < until)
        with reachable(self._engine.url), self._reads.begin() as session:
            contents = [row.content for row in session.scalars(query.order_by(ArchivedRecord.position))]
        return [IncidentRecord.model_validate_json(content) for content in contents]

    def stats(self, filters: StatsFilter) -> IncidentStats:
        """``incidents stats`` over every archived incident ``filters`` selects, read from the query columns."""
        self.check_schema()
        query = stats_query(filters, is_sqlite(self._engine.url))
        with reachable(self._engine.url), self._reads.begin() as session:
            found = session.execute(query).all()
        days: dict[str, date] = {}
        rows = (StatsRow(days.get(day) or days.setdefault(day, date.fromisoformat(day)), *rest) for day, *rest in found)
        return stats_from_rows(rows, filters)

    def search(self, text: str, limit: int = 20) -> list[ArchiveEntry]:
        """Closed incidents whose title, description, notes, resolution or root cause hold every word, best first."""
        self.check_schema()
        with reachable(self._engine.url), self._reads.begin() as session:
            query = search_query(session, text, limit)
            return [] if query is None else [entry(row) for row in session.scalars(query)]

    def _lock(self, session: Session) -> None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK)))
        # SQLite: this session's transaction began IMMEDIATE (the WRITE execution option), holding the write lock.

    def _head(self, session: Session) -> _Head:
        last = session.execute(
            select(ArchivedRecord.position, ArchivedRecord.chain_digest)
            .order_by(ArchivedRecord.position.desc())
            .limit(1)
        ).one_or_none()
        return _Head(last.position, last.chain_digest) if last is not None else _Head(0, GENESIS)

    def _append(
        self, session: Session, record: IncidentRecord, head: _Head, now: datetime
    ) -> tuple[ArchiveResult, _Head]:
        """The row for ``record`` linked after ``head`` (or the row that has its content), and the new head."""
        canonical = canonical_json(record)
        digest = content_digest(canonical)
        versions = session.execute(
            select(ArchivedRecord.position, ArchivedRecord.kind, ArchivedRecord.content_digest)
            .where(ArchivedRecord.incident_id == record.incident_id)
            .order_by(ArchivedRecord.position)
        ).all()
        for version in versions:
            if version.content_digest == digest:
                return ArchiveResult(version.position, created=False, kind=version.kind), head
        position = head.position + 1
        kind = CORRECTION if versions else RECORD
        linked = chain_digest(head.digest, position, record.incident_id, digest)
        session.add(
            ArchivedRecord(
                position=position,
                kind=kind,
                corrects=versions[-1].position if versions else None,
                content=canonical,
                content_digest=digest,
                previous_digest=head.digest,
                chain_digest=linked,
                archived_at=now,
                **query_columns(record),
            )
        )
        session.flush()
        return ArchiveResult(position, created=True, kind=kind), _Head(position, linked)
