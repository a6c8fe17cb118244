"""``incidents archive upgrade | verify | import`` as a person runs them: a process per command."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import URL

from adapters.archive import ArchiveRepository, create_archive_engine, describe
from domain.views.record import render_markdown
from tests.support.archive import closed, tamper
from tests.support.cli import Outcome, clean_environment, incidents


def environment(url: URL) -> dict[str, str]:
    return clean_environment(INCIDENTS_DATABASE_URL=url.render_as_string(hide_password=False))


def written(directory: Path, *numbers: int, **changes: str) -> Path:
    """``INC-<n>.json`` as the document activity writes them (with its Markdown beside), and a file of another name."""
    directory.mkdir(exist_ok=True)
    for number in numbers:
        record = closed(number, **changes)
        (directory / f"INC-{number}.json").write_text(record.model_dump_json(indent=2) + "\n")
        (directory / f"INC-{number}.md").write_text("# not JSON\n")
    (directory / "notes.json").write_text("not a record, and not named like one")
    return directory


def outcome(code: int, stdout: str = "", stderr: str = "") -> Outcome:
    return Outcome(code, stdout, stderr)


async def test_upgrade_import_verify(empty_url: URL, tmp_path: Path) -> None:
    env, where = environment(empty_url), describe(empty_url)
    no_schema = f"error: the incident archive at {where} has no schema yet: run `incidents archive upgrade`\n"
    assert await incidents("archive", "verify", env=env) == outcome(1, stderr=no_schema)
    upgraded = f"the incident archive at {where} is at schema 0002_stats\n"
    assert await incidents("archive", "upgrade", env=env) == outcome(0, upgraded)

    records = written(tmp_path / "records", 1, 2, 3)
    first = f"imported 3 records from {records} (0 already archived, 0 corrections)\n"
    assert await incidents("archive", "import", str(records), env=env) == outcome(0, first)
    written(records, 2, summary="failed over to the standby")
    again = f"imported 1 record from {records} (2 already archived, 1 correction)\n"
    assert await incidents("archive", "import", str(records), env=env) == outcome(0, again)

    engine = create_archive_engine(empty_url)
    try:
        repository = ArchiveRepository(engine)
        head = repository.summary().head
        assert [entry.incident_id for entry in repository.list_closed().entries] == ["INC-3", "INC-2", "INC-1"]
        intact = f"chain intact: 4 records\nhead: {head}\n"
        assert await incidents("archive", "verify", env=env) == outcome(0, intact)
        tamper(engine, "DELETE FROM archived_records WHERE position = 3")
    finally:
        engine.dispose()
    broken = "error: chain broken: record 3 was deleted: the chain goes from record 2 to record 4\n"
    assert await incidents("archive", "verify", env=env) == outcome(1, stderr=broken)


async def test_an_import_with_one_bad_file_names_it_and_writes_nothing(archive_url: URL, tmp_path: Path) -> None:
    env = environment(archive_url)
    records = written(tmp_path / "records", 1, 2, 4)
    (records / "INC-3.json").write_text("{not json")
    bad = f"error: {records / 'INC-3.json'} is not an incident record: Invalid JSON: key must be a string at line 1 "
    assert await incidents("archive", "import", str(records), env=env) == outcome(2, stderr=bad + "column 2\n")
    (records / "INC-3.json").write_text('{"incident_id": "INC-3", "title": "half a record"}')
    partial = (
        f"error: {records / 'INC-3.json'} is not an incident record: description: Field required; "
        "service: Field required; category: Field required (and 24 more)\n"
    )
    assert await incidents("archive", "import", str(records), env=env) == outcome(2, stderr=partial)
    missing = tmp_path / "nowhere"
    assert await incidents("archive", "import", str(missing), env=env) == outcome(
        2, stderr=f"error: {missing} is not a directory\n"
    )
    engine = create_archive_engine(archive_url)
    try:
        assert ArchiveRepository(engine).summary().records == 0
    finally:
        engine.dispose()


async def test_a_malformed_url_is_one_line() -> None:
    env = clean_environment(INCIDENTS_DATABASE_URL="postgresql://archivist:s3cret@db:port/incidents")
    expected = (
        "error: INCIDENTS_DATABASE_URL is not a database URL: expected postgresql://USER:PASSWORD@HOST:PORT/NAME "
        "or sqlite:///PATH\n"
    )
    for command in ("upgrade", "verify"):
        assert await incidents("archive", command, env=env) == outcome(1, stderr=expected)


async def test_export_writes_what_the_documentation_step_wrote(empty_url: URL, tmp_path: Path) -> None:
    env = environment(empty_url)
    assert (await incidents("archive", "upgrade", env=env)).code == 0
    records = written(tmp_path / "records", 1, 2)
    assert (await incidents("archive", "import", str(records), env=env)).code == 0
    out = tmp_path / "export"
    one = await incidents("export", "INC-2", "--dir", str(out), env=env)
    assert one == outcome(0, f"exported 1 record to {out}\n")
    assert sorted(path.name for path in out.iterdir()) == ["INC-2.json", "INC-2.md"]
    assert (out / "INC-2.json").read_text() == closed(2).model_dump_json(indent=2) + "\n"
    assert (out / "INC-2.md").read_text() == render_markdown(closed(2))
    every = await incidents(
        "export", "--since", "2026-03-01T00:00Z", "--until", "2026-03-02T00:00Z", "--dir", str(out), env=env
    )
    assert every == outcome(0, f"exported 2 records to {out}\n")
    assert await incidents("export", "INC-9", "--dir", str(out), env=env) == outcome(
        1, stderr="error: no incident 'INC-9' in the archive\n"
    )
    assert await incidents("export", "--dir", str(out), env=env) == outcome(
        2, stderr="error: give an incident id, or both --since and --until\n"
    )
