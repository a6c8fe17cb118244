"""The query behind ``incidents stats``: the columns of ``domain.views.stats.StatsRow`` for the latest version of
every archived incident the filters select, with the UTC day it opened as ``YYYY-MM-DD`` text on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func

from adapters.archive.models import ArchivedRecord
from adapters.archive.paging import latest_versions
from domain.views.stats import StatsFilter


def opened_day(sqlite: bool) -> ColumnElement[str]:
    """SQLite keeps naive UTC text (``2026-03-02 09:00:00.000000``); PostgreSQL a ``timestamptz``."""
    if sqlite:
        return func.substr(ArchivedRecord.opened_at, 1, 10)
    return func.to_char(func.timezone("UTC", ArchivedRecord.opened_at), "YYYY-MM-DD")


def stats_query(filters: StatsFilter, sqlite: bool) -> Select[Any]:
    query = latest_versions(
        opened_day(sqlite),
        ArchivedRecord.service,
        ArchivedRecord.priority,
        ArchivedRecord.mtta_seconds,
        ArchivedRecord.mttr_seconds,
        ArchivedRecord.acknowledge_sla,
        ArchivedRecord.resolve_sla,
        ArchivedRecord.escalations,
        ArchivedRecord.sla_breached,
    ).where(ArchivedRecord.opened_at >= filters.since, ArchivedRecord.opened_at < filters.until)
    equal = {
        ArchivedRecord.service: filters.service,
        ArchivedRecord.team: filters.team,
        ArchivedRecord.priority: filters.priority.value if filters.priority else None,
    }
    for column, wanted in equal.items():
        if wanted is not None:
            query = query.where(column == wanted)
    return query
