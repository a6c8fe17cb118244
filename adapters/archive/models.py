"""The archive's table: one row per archived version of a closed incident's record, never updated or deleted.

``content`` is the whole ``IncidentRecord`` as canonical JSON (``domain.views.archive_chain``); the other columns
are copied out of it for queries, and ``incidents archive verify`` checks that they still agree with it.
``position`` numbers the rows in the order they were appended (1, 2, 3 … with no gap) and ``chain_digest`` links
each to the one before. An incident's first row is its ``record``; a different record
archived later for it is a ``correction`` whose ``corrects`` is the position of the row it replaces.

The migration adds what is not portable: the full-text index (an FTS5 table kept in step by triggers on SQLite, a
generated ``tsvector`` column with a GIN index on PostgreSQL) and triggers that refuse UPDATE and DELETE.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA_REVISION = "0002_stats"
"""The Alembic revision this code needs (the head of ``adapters/archive/migrations/versions``)."""

TABLE = "archived_records"
FTS_TABLE = "archived_records_fts"
"""SQLite only: the FTS5 index over ``title`` and ``search_text`` (external content, rowid = position)."""
SEARCH_VECTOR = "search_vector"
"""PostgreSQL only: the generated tsvector column (title weighted A, the rest B)."""
SEARCH_CONFIG = "english"
"""The PostgreSQL text search configuration; SQLite's FTS5 uses the porter stemmer to match it."""


def portable(_object: object, name: str | None, kind: str, reflected: bool, _compared_to: object) -> bool:
    """Alembic's ``include_object``: what the migration adds per dialect (the FTS5 tables, the tsvector column and
    its index) is not in these models, so autogenerate leaves it alone."""
    if not reflected or name is None:
        return True
    if kind == "table":
        return not name.startswith(FTS_TABLE)
    return name not in (SEARCH_VECTOR, f"ix_{TABLE}_search")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC: ``timestamptz`` on PostgreSQL, naive UTC text on SQLite (sorts as time)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"the archive stores aware datetimes only, not {value.isoformat()}")
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMES = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}
"""Constraint names, the same as the migration's."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMES)


class ArchivedRecord(Base):
    __tablename__ = TABLE

    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(10))
    corrects: Mapped[int | None] = mapped_column(ForeignKey(f"{TABLE}.position"))
    incident_id: Mapped[str] = mapped_column(String(100))
    service: Mapped[str] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[str | None] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """When it closed; a record that never did (none should reach the archive) sorts by when it opened."""
    mtta_seconds: Mapped[float | None] = mapped_column(Float)
    mttr_seconds: Mapped[float | None] = mapped_column(Float)
    sla_breached: Mapped[bool] = mapped_column(Boolean)
    acknowledge_sla: Mapped[str | None] = mapped_column(String(10))
    """The acknowledge clock's verdict (running, met, breached); None when the incident had no such clock."""
    resolve_sla: Mapped[str | None] = mapped_column(String(10))
    escalations: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """Escalation entries after the first page (``domain.views.stats``)."""
    search_text: Mapped[str] = mapped_column(Text)
    """Title, description, notes, resolution summary and root cause, for full-text search."""
    content: Mapped[str] = mapped_column(Text)
    content_digest: Mapped[str] = mapped_column(String(64))
    previous_digest: Mapped[str] = mapped_column(String(64))
    chain_digest: Mapped[str] = mapped_column(String(64), unique=True)
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """The archiving worker's clock when the row was appended (not part of the chain)."""

    __table_args__ = (
        CheckConstraint("kind IN ('record', 'correction')", name="kind"),
        CheckConstraint("(kind = 'record') = (corrects IS NULL)", name="corrects"),
        Index(
            "ux_archived_records_original",
            "incident_id",
            unique=True,
            sqlite_where=text("kind = 'record'"),
            postgresql_where=text("kind = 'record'"),
        ),
        Index("ux_archived_records_version", "incident_id", "content_digest", unique=True),
        Index("ix_archived_records_incident", "incident_id", "position"),
        Index("ix_archived_records_closed", "closed_at", "position"),
        Index("ix_archived_records_service_closed", "service", "closed_at", "position"),
        Index("ix_archived_records_team_closed", "team", "closed_at", "position"),
        Index("ix_archived_records_priority_closed", "priority", "closed_at", "position"),
        Index("ix_archived_records_similar", "service", "category", "closed_at"),
        Index("ix_archived_records_opened", "opened_at"),
    )

    def __repr__(self) -> str:
        return f"ArchivedRecord(position={self.position}, incident_id={self.incident_id!r}, kind={self.kind!r})"
