"""The closed list: filters, newest first by (closed_at, position), in keyset pages with an opaque ``next`` cursor.

A page after a cursor starts strictly after the last entry of the page before, whatever was archived in between;
page 1 and page 1,000 cost the same (an index range scan, no OFFSET).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import ColumnElement, Select, exists, select, tuple_
from sqlalchemy.orm import QueryableAttribute, aliased

from adapters.archive.models import ArchivedRecord
from adapters.archive.rows import ArchiveEntry
from domain.errors import InvalidCursor
from domain.models import Priority

MAX_LIMIT = 1000


class ClosedFilters(BaseModel):
    """Which closed incidents to list; every filter given must match. ``since``/``until`` bound ``closed_at``."""

    service: str | None = None
    team: str | None = None
    priority: Priority | None = None
    category: str | None = None
    since: AwareDatetime | None = None
    """First instant included (closed_at >= since)."""
    until: AwareDatetime | None = None
    """End, excluded (closed_at < until)."""


class ClosedPage(BaseModel):
    entries: list[ArchiveEntry]
    next: str | None = Field(default=None)
    """The cursor of the next page (pass it as ``after``), None on the last one."""


def encode_cursor(closed_at: datetime, position: int) -> str:
    packed = json.dumps([closed_at.isoformat(), position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        packed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, position = json.loads(packed)
        closed_at = datetime.fromisoformat(moment)
    except (binascii.Error, ValueError, TypeError) as error:
        raise InvalidCursor("the cursor is not one this archive handed out (pass a page's `next` as it is)") from error
    if closed_at.tzinfo is None or not isinstance(position, int) or isinstance(position, bool):
        raise InvalidCursor("the cursor is not one this archive handed out (pass a page's `next` as it is)")
    return closed_at, position


def latest_versions(*columns: ColumnElement[Any] | QueryableAttribute[Any]) -> Select[Any]:
    """Each incident's latest row (its record, or its last correction): the whole row, or just ``columns`` of it."""
    later = aliased(ArchivedRecord)
    superseded = exists().where(
        later.incident_id == ArchivedRecord.incident_id, later.position > ArchivedRecord.position
    )
    return select(*columns or (ArchivedRecord,)).where(~superseded)


def closed_page_query(filters: ClosedFilters, after: str | None, limit: int) -> Select[ArchivedRecord]:
    """One more row than ``limit``: whether it comes back tells whether there is a next page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be from 1 to {MAX_LIMIT}, not {limit}")
    query = latest_versions()
    equal = {
        ArchivedRecord.service: filters.service,
        ArchivedRecord.team: filters.team,
        ArchivedRecord.priority: filters.priority.value if filters.priority else None,
        ArchivedRecord.category: filters.category,
    }
    for column, wanted in equal.items():
        if wanted is not None:
            query = query.where(column == wanted)
    if filters.since is not None:
        query = query.where(ArchivedRecord.closed_at >= filters.since)
    if filters.until is not None:
        query = query.where(ArchivedRecord.closed_at < filters.until)
    if after is not None:
        closed_at, position = decode_cursor(after)
        query = query.where(tuple_(ArchivedRecord.closed_at, ArchivedRecord.position) < (closed_at, position))
    order = (ArchivedRecord.closed_at.desc(), ArchivedRecord.position.desc())
    return query.order_by(*order).limit(limit + 1)
