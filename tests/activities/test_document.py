"""document_incident: the record archived once (a retry finds it there), then, when the worker exports records,
Markdown and JSON files, the same bytes for the same record, never rewritten needlessly; the archive's refusals
as retryable or final failures."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.document import DocumentActivities
from adapters.archive import ArchiveRepository
from adapters.catalog_file import LoadedCatalog
from domain.errors import ArchiveOutdated, ArchiveUnavailable, InvalidRecord
from domain.messages.steps import DocumentResult
from domain.views.archive_chain import canonical_json
from domain.views.record import IncidentRecord, build_record, render_markdown
from tests.support.archive import RefusingArchive, archived_rows
from tests.support.sample_incidents import INCIDENT_ID, closed_incident

LONG_AGO_NS = 1_000_000_000 * 1_000_000_000  # 2001-09-09, far from any write this test makes


def make_record(catalog: LoadedCatalog) -> IncidentRecord:
    state = closed_incident(catalog)
    assert state.closed_at is not None
    return build_record(state, state.closed_at)


async def document(records_dir: Path | None, record: IncidentRecord, archive: ArchiveRepository) -> DocumentResult:
    return await ActivityEnvironment().run(DocumentActivities(records_dir, archive).document_incident, record)


async def test_writes_markdown_and_json_named_after_the_incident(
    catalog: LoadedCatalog, tmp_path: Path, archive: ArchiveRepository
) -> None:
    records_dir = tmp_path / "data" / "records"  # created on first use
    record = make_record(catalog)

    result = await document(records_dir, record, archive)

    markdown, machine = records_dir / f"{INCIDENT_ID}.md", records_dir / f"{INCIDENT_ID}.json"
    assert result == DocumentResult(
        markdown_path=str(markdown), json_path=str(machine), archive_position=1, archive_created=True
    )
    assert sorted(path.name for path in records_dir.iterdir()) == [f"{INCIDENT_ID}.json", f"{INCIDENT_ID}.md"]

    text = markdown.read_text(encoding="utf-8")
    assert text == render_markdown(record)
    lines = text.splitlines()
    assert lines[0] == f"# {INCIDENT_ID}: Checkout returns 502 for every card payment"
    assert "- **Acknowledged:** 2026-11-28 09:04:00 UTC by amara (MTTA 4m)" in lines
    assert "- **Resolved:** 2026-11-28 09:50:00 UTC by bruno (MTTR 50m)" in lines
    assert "| acknowledge | 2026-11-28 09:05:00 UTC | met |" in lines
    assert "| resolve | 2026-11-28 10:00:00 UTC | met |" in lines
    assert text.endswith("| 2026-11-28 09:55:00 UTC | incident.closed | — | closed |\n")

    assert [oct(path.stat().st_mode & 0o777) for path in (markdown, machine)] == ["0o644", "0o644"]
    raw = machine.read_text(encoding="utf-8")
    assert raw == record.model_dump_json(indent=2) + "\n"
    assert IncidentRecord.model_validate_json(raw) == record


async def test_without_an_export_directory_the_archive_is_all(
    catalog: LoadedCatalog, tmp_path: Path, archive: ArchiveRepository, archive_engine: Engine
) -> None:
    record = make_record(catalog)

    result = await document(None, record, archive)

    assert result == DocumentResult(markdown_path=None, json_path=None, archive_position=1, archive_created=True)
    assert archived_rows(archive_engine) == [(1, INCIDENT_ID, "record", canonical_json(record))]
    assert list(tmp_path.rglob("*.json")) == list(tmp_path.rglob("*.md")) == []


async def test_same_record_twice_gives_the_same_bytes_and_no_rewrite(
    catalog: LoadedCatalog, tmp_path: Path, archive: ArchiveRepository
) -> None:
    records_dir = tmp_path / "records"
    record = make_record(catalog)
    await document(records_dir, record, archive)
    paths = [records_dir / f"{INCIDENT_ID}.md", records_dir / f"{INCIDENT_ID}.json"]
    first = [path.read_bytes() for path in paths]
    for path in paths:
        os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))
    inodes = [path.stat().st_ino for path in paths]

    # Built again from scratch, as a retried activity would be.
    again = make_record(catalog)
    await document(records_dir, again, archive)

    assert again == record
    assert [path.read_bytes() for path in paths] == first
    assert [path.stat().st_mtime_ns for path in paths] == [LONG_AGO_NS, LONG_AGO_NS]
    assert [path.stat().st_ino for path in paths] == inodes
    assert sorted(path.name for path in records_dir.iterdir()) == [f"{INCIDENT_ID}.json", f"{INCIDENT_ID}.md"]


async def test_a_changed_record_replaces_the_files(
    catalog: LoadedCatalog, tmp_path: Path, archive: ArchiveRepository
) -> None:
    records_dir = tmp_path / "records"
    record = make_record(catalog)
    await document(records_dir, record, archive)
    changed = record.model_copy(update={"root_cause": "Certificate renewal job was disabled in October"})

    await document(records_dir, changed, archive)

    markdown = (records_dir / f"{INCIDENT_ID}.md").read_text(encoding="utf-8")
    assert "**Root cause:** Certificate renewal job was disabled in October" in markdown.splitlines()
    machine = (records_dir / f"{INCIDENT_ID}.json").read_text(encoding="utf-8")
    assert IncidentRecord.model_validate_json(machine) == changed
    assert sorted(path.name for path in records_dir.iterdir()) == [f"{INCIDENT_ID}.json", f"{INCIDENT_ID}.md"]


async def test_the_record_is_archived_once_and_a_retry_finds_it_there(
    catalog: LoadedCatalog,
    tmp_path: Path,
    archive: ArchiveRepository,
    archive_engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = make_record(catalog)
    caplog.set_level(logging.INFO, logger="incidents.document")

    first = await document(tmp_path / "records", record, archive)
    # Built again from scratch and documented again, as a retried attempt (or another worker) would.
    again = await document(tmp_path / "records", make_record(catalog), archive)

    assert (first.archive_position, first.archive_created) == (1, True)
    assert (again.archive_position, again.archive_created) == (1, False)
    assert archived_rows(archive_engine) == [(1, INCIDENT_ID, "record", canonical_json(record))]
    assert archive.get(INCIDENT_ID) == record
    assert archive.verify() is None
    assert [r.getMessage() for r in caplog.records if r.name == "incidents.document"] == [
        f"{INCIDENT_ID} archived at position 1 (record)",
        f"{INCIDENT_ID} already archived at position 1 (record)",
    ]


UNREACHABLE = (
    "the incident archive at postgresql://incidents:***@db.internal:5432/incidents cannot be reached: "
    "connection refused"
)
OUTDATED = (
    "the incident archive at postgresql://incidents:***@db.internal:5432/incidents has no schema yet: "
    "run `incidents archive upgrade`"
)


INVALID = "the record of INC-20261128-0042 is not an incident record: closed_at: Field required"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ArchiveUnavailable(UNREACHABLE), ("ArchiveUnavailable", UNREACHABLE, False)),
        (ArchiveOutdated(OUTDATED), ("ArchiveOutdated", OUTDATED, False)),
        (InvalidRecord(INVALID), ("InvalidRecord", INVALID, True)),
    ],
    ids=["unavailable-retried", "outdated-retried", "invalid-final"],
)
async def test_an_archive_that_refuses_fails_the_attempt_and_writes_no_files(
    catalog: LoadedCatalog,
    tmp_path: Path,
    archive_engine: Engine,
    error: Exception,
    expected: tuple[str, str, bool],
    caplog: pytest.LogCaptureFixture,
) -> None:
    refusing = RefusingArchive(archive_engine, error)
    caplog.set_level(logging.WARNING, logger="incidents.document")

    with pytest.raises(ApplicationError) as caught:
        await document(tmp_path / "records", make_record(catalog), refusing)

    assert (caught.value.type, caught.value.message, caught.value.non_retryable) == expected
    assert caught.value.__cause__ is None  # one line to Temporal: the chain would exceed its failure size limit
    assert refusing.attempts == 1
    assert not (tmp_path / "records").exists()  # the export follows the store: nothing before the archive has it
    assert [r.getMessage() for r in caplog.records if r.name == "incidents.document"] == [
        f"{INCIDENT_ID} not archived (attempt 1): {error}"
    ]
