"""Appending to the archive: idempotent, corrections appended and linked, all or nothing, append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from adapters.archive import ArchiveRepository, ArchiveResult
from domain.views.record import IncidentRecord
from tests.support.archive import closed, incident_ids


def rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT position, incident_id, kind, corrects FROM archived_records ORDER BY position")
        )
        return [tuple(row) for row in found]


def test_the_same_incident_archived_twice_is_one_row(repository: ArchiveRepository, engine: Engine) -> None:
    record = closed(1)
    first = repository.archive(record)
    again = repository.archive(record)
    from_its_file = repository.archive(IncidentRecord.model_validate_json(record.model_dump_json(indent=2)))
    assert (first, again, from_its_file) == (
        ArchiveResult(1, created=True, kind="record"),
        ArchiveResult(1, created=False, kind="record"),
        ArchiveResult(1, created=False, kind="record"),
    )
    assert rows(engine) == [(1, "INC-1", "record", None)]
    assert repository.get("INC-1") == record


def test_a_different_record_for_an_archived_incident_is_a_linked_correction(
    repository: ArchiveRepository, engine: Engine
) -> None:
    original = closed(1)
    repository.archive(original)
    repository.archive(closed(2))
    corrected = closed(1, root_cause="an expired certificate, not the deploy")
    assert repository.archive(corrected) == ArchiveResult(3, created=True, kind="correction")
    assert repository.archive(corrected) == ArchiveResult(3, created=False, kind="correction")
    again = closed(1, root_cause="an expired certificate on the load balancer")
    assert repository.archive(again) == ArchiveResult(4, created=True, kind="correction")
    assert rows(engine) == [
        (1, "INC-1", "record", None),
        (2, "INC-2", "record", None),
        (3, "INC-1", "correction", 1),
        (4, "INC-1", "correction", 3),
    ]
    assert repository.get("INC-1") == again
    versions = repository.versions("INC-1")
    assert [(v.position, v.kind, v.corrects) for v in versions] == [
        (1, "record", None),
        (3, "correction", 1),
        (4, "correction", 3),
    ]
    assert repository.verify() is None


def test_a_late_retry_of_an_older_version_does_not_undo_a_correction(repository: ArchiveRepository) -> None:
    original, corrected = closed(1), closed(1, summary="restarted the pool")
    repository.archive(original)
    repository.archive(corrected)
    assert repository.archive(original) == ArchiveResult(1, created=False, kind="record")
    assert repository.get("INC-1") == corrected
    assert repository.summary().records == 2


def test_an_unknown_incident_is_none(repository: ArchiveRepository) -> None:
    assert (repository.get("INC-404"), repository.versions("INC-404")) == (None, [])


def test_a_batch_is_written_whole_or_not_at_all(repository: ArchiveRepository, engine: Engine) -> None:
    naive = closed(3).model_copy(update={"opened_at": closed(3).opened_at.replace(tzinfo=None)})
    with pytest.raises(StatementError, match="the archive stores aware datetimes only"):
        repository.archive_all([closed(1), closed(2), naive])
    assert rows(engine) == []
    results = repository.archive_all([closed(1), closed(2), closed(1), closed(1, title="payments down")])
    assert results == [
        ArchiveResult(1, created=True, kind="record"),
        ArchiveResult(2, created=True, kind="record"),
        ArchiveResult(1, created=False, kind="record"),
        ArchiveResult(3, created=True, kind="correction"),
    ]
    assert incident_ids(repository.list_closed().entries) == ["INC-2", "INC-1"]


def test_rows_are_never_updated_or_deleted(repository: ArchiveRepository, engine: Engine) -> None:
    repository.archive(closed(1))
    for statement in ("UPDATE archived_records SET title = 'edited'", "DELETE FROM archived_records"):
        refused = pytest.raises(DBAPIError, match="archived records are append-only: corrections are appended")
        with refused, engine.begin() as connection:
            connection.execute(text(statement))
    assert rows(engine) == [(1, "INC-1", "record", None)]


DUPLICATE = {
    "sqlite": "UNIQUE constraint failed: archived_records.incident_id",
    "postgresql": 'duplicate key value violates unique constraint "ux_archived_records_original"',
}


def test_the_database_keeps_one_original_row_per_incident(
    repository: ArchiveRepository, engine: Engine, dialect: str
) -> None:
    """Even a writer that skipped the repository's lock cannot give an incident a second original row."""
    repository.archive(closed(1))
    copy = (
        "INSERT INTO archived_records (position, kind, corrects, incident_id, service, team, priority, category, "
        "title, opened_at, closed_at, mtta_seconds, mttr_seconds, sla_breached, acknowledge_sla, resolve_sla, "
        "escalations, search_text, content, content_digest, previous_digest, chain_digest, archived_at) "
        "SELECT 2, kind, corrects, incident_id, service, team, priority, category, "
        "title, opened_at, closed_at, mtta_seconds, mttr_seconds, sla_breached, acknowledge_sla, resolve_sla, "
        "escalations, search_text, content, "
        "'{digest}', previous_digest, '{chain}', archived_at FROM archived_records WHERE position = 1"
    ).format(digest="d" * 64, chain="c" * 64)
    with pytest.raises(IntegrityError, match=DUPLICATE[dialect]), engine.begin() as connection:
        connection.execute(text(copy))
    assert rows(engine) == [(1, "INC-1", "record", None)]
