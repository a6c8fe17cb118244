"""``incidents stats`` from the archive: the query columns give the same report as counting the records themselves,
on SQLite and PostgreSQL, and the migration that added the columns fills them in from every record already there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import Engine, text

from adapters.archive import ArchiveRepository
from adapters.archive.rows import query_columns
from adapters.archive.schema import alembic_config, upgrade_archive
from domain.models import Priority
from domain.views.stats import StatsFilter, compute_stats
from tests.support.stats_records import RECORDS, SINCE, UNTIL

FILTERS = [
    {},
    {"service": "shop-payments"},
    {"team": "data"},
    {"priority": Priority.P1},
    {"priority": Priority.P4},
]


@pytest.mark.parametrize("narrower", FILTERS, ids=lambda narrower: ",".join(map(str, narrower.values())) or "all")
def test_the_archive_counts_what_the_records_say(repository: ArchiveRepository, narrower: dict[str, object]) -> None:
    repository.archive_all(RECORDS)
    filters = StatsFilter.model_validate({"since": SINCE, "until": UNTIL, **narrower})
    assert repository.stats(filters) == compute_stats(RECORDS, filters)


def test_the_latest_version_of_each_incident_counts(repository: ArchiveRepository) -> None:
    """A correction replaces what its incident counts as; the days are UTC days, whatever offset the record has."""
    corrected = RECORDS[2].model_copy(update={"priority": Priority.P1, "mttr_seconds": 600.0})
    east = timezone(timedelta(hours=5))
    late = RECORDS[4].model_copy(update={"opened_at": datetime(2026, 3, 4, 3, 30, tzinfo=east)})
    repository.archive_all([*RECORDS, corrected, late])
    filters = StatsFilter(since=SINCE, until=UNTIL)
    stats = repository.stats(filters)
    latest = [corrected if r is RECORDS[2] else late if r is RECORDS[4] else r for r in RECORDS]
    assert stats == compute_stats(latest, filters)
    assert [(day.day.isoformat(), day.incidents) for day in stats.per_day] == [
        ("2026-03-02", 2),
        ("2026-03-03", 3),
        ("2026-03-04", 1),
    ]
    assert [(row.priority, row.overall.total) for row in stats.sla_by_priority] == [
        ("P1", 6),
        ("P2", 2),
        ("P3", 2),
        ("unclassified", 0),
    ]


def test_an_empty_window_still_lists_its_days(repository: ArchiveRepository) -> None:
    repository.archive_all(RECORDS)
    filters = StatsFilter(since=datetime(2027, 1, 1, tzinfo=UTC), until=datetime(2027, 1, 3, tzinfo=UTC))
    stats = repository.stats(filters)
    assert (stats.incidents, [day.incidents for day in stats.per_day]) == (0, [0, 0])
    assert stats == compute_stats(RECORDS, filters)


def test_the_stats_migration_fills_the_columns_of_the_records_already_archived(
    repository: ArchiveRepository, engine: Engine
) -> None:
    repository.archive_all(RECORDS)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001_archive")
    upgrade_archive(engine)
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT incident_id, acknowledge_sla, resolve_sla, escalations FROM archived_records ORDER BY position"
            )
        ).all()
    assert [tuple(row) for row in found] == [
        ("INC-A", "met", "met", 0),
        ("INC-B", "breached", "breached", 2),
        ("INC-C", "met", "met", 0),
        ("INC-D", "breached", "met", 1),
        ("INC-E", "met", "met", 0),
        ("INC-F", None, None, 0),
        ("INC-G", "met", "met", 0),
        ("INC-H", "met", "met", 0),
    ]
    expected = [
        (r.incident_id, *(query_columns(r)[c] for c in ("acknowledge_sla", "resolve_sla", "escalations")))
        for r in RECORDS
    ]
    assert [tuple(row) for row in found] == expected
    assert repository.verify() is None
    filters = StatsFilter(since=SINCE, until=UNTIL)
    assert repository.stats(filters) == compute_stats(RECORDS, filters)
