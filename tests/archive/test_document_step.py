"""The documentation step on a real Temporal dev server and a real worker: a closed incident's record is in the
archive, once, on the embedded SQLite default (created by the worker) and on a migrated PostgreSQL; a PostgreSQL
archive without the schema is never migrated by the worker, and the incident waits for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import URL
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from adapters.archive import ArchiveRepository, create_archive_engine, current_revisions
from adapters.settings import Settings
from domain.views.archive_chain import canonical_json
from domain.views.record import IncidentRecord
from tests.support.archive import archived_rows
from tests.support.incidents import acknowledge, resolve, start, wait_for_retries
from tests.support.settings import make_settings
from worker import running_worker


def worker_settings(tmp_path: Path, dialect: str, url: URL) -> Settings:
    """SQLite: the default (no INCIDENTS_DATABASE_URL), whose file is the fixture's; PostgreSQL: the fixture's URL."""
    if dialect == "sqlite":
        settings = make_settings(tmp_path)
        assert settings.embedded_archive == Path(url.database or "")
        return settings
    return make_settings(tmp_path, database_url=url.render_as_string(hide_password=False))


async def test_a_closed_incident_is_archived_once_with_its_record(
    dev_env: WorkflowEnvironment, dialect: str, empty_url: URL, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # SQLite: no file yet, the worker creates it; PostgreSQL: a database at the head schema (as `migrate` leaves it).
    url = request.getfixturevalue("archive_url") if dialect == "postgresql" else empty_url
    settings = worker_settings(tmp_path, dialect, url)
    async with running_worker(dev_env.client, settings):
        handle = await start(dev_env.client, settings.task_queue)
        await acknowledge(handle)
        await resolve(handle)
        record: IncidentRecord = await handle.result()

    engine = create_archive_engine(url)
    try:
        archive = ArchiveRepository(engine)
        assert archived_rows(engine) == [(1, handle.id, "record", canonical_json(record))]
        assert archive.get(handle.id) == record
        assert archive.verify() is None
        assert current_revisions(engine) == ("0002_stats",)
    finally:
        engine.dispose()
    assert not settings.records_dir.exists()  # the archive is the store; files only with INCIDENTS_EXPORT_RECORDS
    assert (record.resolution_summary, record.root_cause) == ("failed over", "expired TLS certificate")


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)  # an embedded SQLite file is migrated (above)
async def test_a_postgresql_archive_without_the_schema_is_not_migrated_and_the_incident_waits(
    dev_env: WorkflowEnvironment, dialect: str, empty_url: URL, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = worker_settings(tmp_path, dialect, empty_url)
    shown = empty_url.set(drivername="postgresql").render_as_string(hide_password=True)
    refusal = f"the incident archive at {shown} has no schema yet: run `incidents archive upgrade`"
    async with running_worker(dev_env.client, settings):
        handle = await start(dev_env.client, settings.task_queue)
        await acknowledge(handle)
        await resolve(handle)
        assert await wait_for_retries(handle, "document_incident", attempt=3, seconds=20) == refusal
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        await handle.terminate("test finished")

    warnings = [r.getMessage() for r in caplog.records if r.name == "incidents.worker" and r.levelname == "WARNING"]
    assert warnings == [f"{refusal}; closed incidents wait to be documented until then"]
    engine = create_archive_engine(empty_url)
    try:
        assert current_revisions(engine) == ()
    finally:
        engine.dispose()
    assert not (settings.records_dir / f"{handle.id}.json").exists()
