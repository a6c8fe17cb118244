"""document_incident: Markdown and JSON records, the same bytes for the same record, never rewritten needlessly."""

from __future__ import annotations

import os
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from activities.document import DocumentActivities
from adapters.catalog_file import LoadedCatalog
from domain.messages.steps import DocumentResult
from domain.views.record import IncidentRecord, build_record, render_markdown
from tests.support.sample_incidents import INCIDENT_ID, closed_incident

LONG_AGO_NS = 1_000_000_000 * 1_000_000_000  # 2001-09-09, far from any write this test makes


def make_record(catalog: LoadedCatalog) -> IncidentRecord:
    state = closed_incident(catalog)
    assert state.closed_at is not None
    return build_record(state, state.closed_at)


async def document(records_dir: Path, record: IncidentRecord) -> DocumentResult:
    return await ActivityEnvironment().run(DocumentActivities(records_dir).document_incident, record)


async def test_writes_markdown_and_json_named_after_the_incident(catalog: LoadedCatalog, tmp_path: Path) -> None:
    records_dir = tmp_path / "data" / "records"  # created on first use
    record = make_record(catalog)

    result = await document(records_dir, record)

    markdown, machine = records_dir / f"{INCIDENT_ID}.md", records_dir / f"{INCIDENT_ID}.json"
    assert result == DocumentResult(markdown_path=str(markdown), json_path=str(machine))
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


async def test_same_record_twice_gives_the_same_bytes_and_no_rewrite(catalog: LoadedCatalog, tmp_path: Path) -> None:
    records_dir = tmp_path / "records"
    record = make_record(catalog)
    await document(records_dir, record)
    paths = [records_dir / f"{INCIDENT_ID}.md", records_dir / f"{INCIDENT_ID}.json"]
    first = [path.read_bytes() for path in paths]
    for path in paths:
        os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))
    inodes = [path.stat().st_ino for path in paths]

    # Built again from scratch, as a retried activity would be.
    again = make_record(catalog)
    await document(records_dir, again)

    assert again == record
    assert [path.read_bytes() for path in paths] == first
    assert [path.stat().st_mtime_ns for path in paths] == [LONG_AGO_NS, LONG_AGO_NS]
    assert [path.stat().st_ino for path in paths] == inodes
    assert sorted(path.name for path in records_dir.iterdir()) == [f"{INCIDENT_ID}.json", f"{INCIDENT_ID}.md"]


async def test_a_changed_record_replaces_the_files(catalog: LoadedCatalog, tmp_path: Path) -> None:
    records_dir = tmp_path / "records"
    record = make_record(catalog)
    await document(records_dir, record)
    changed = record.model_copy(update={"root_cause": "Certificate renewal job was disabled in October"})

    await document(records_dir, changed)

    markdown = (records_dir / f"{INCIDENT_ID}.md").read_text(encoding="utf-8")
    assert "**Root cause:** Certificate renewal job was disabled in October" in markdown.splitlines()
    machine = (records_dir / f"{INCIDENT_ID}.json").read_text(encoding="utf-8")
    assert IncidentRecord.model_validate_json(machine) == changed
    assert sorted(path.name for path in records_dir.iterdir()) == [f"{INCIDENT_ID}.json", f"{INCIDENT_ID}.md"]
