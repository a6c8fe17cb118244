"""PostgreSQL stopped while five incidents close: they wait (the documentation step fails and is retried with
back-off, the workflows keep running, nothing is exported before it is archived: the worker exports records here);
started again, every record is archived once, the chain whole, and the incidents complete."""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from adapters.archive import ArchiveRepository, create_archive_engine, parse_database_url, upgrade_archive
from domain.views.archive_chain import canonical_json
from domain.views.record import IncidentRecord
from tests.support.archive import archived_rows
from tests.support.incidents import acknowledge, resolve, start, wait_for_retries
from tests.support.postgres import PostgresCluster
from tests.support.settings import make_settings
from worker import running_worker

INCIDENTS = 5


async def test_incidents_closed_while_the_database_is_down_wait_then_are_archived_once(
    dev_env: WorkflowEnvironment, own_postgres: PostgresCluster, tmp_path: Path
) -> None:
    database = own_postgres.create_database()
    url = parse_database_url(own_postgres.url(database))
    engine = create_archive_engine(url)
    upgrade_archive(engine)
    engine.dispose()
    settings = make_settings(tmp_path, database_url=own_postgres.url(database), export_records=True)
    port = own_postgres.port
    unreachable = (
        f"the incident archive at postgresql://postgres@127.0.0.1:{port}/{database} cannot be reached: "
        f'connection failed: connection to server at "127.0.0.1", port {port} failed: Connection refused'
    )

    async with running_worker(dev_env.client, settings):
        handles = [await start(dev_env.client, settings.task_queue) for _ in range(INCIDENTS)]
        await asyncio.gather(*(acknowledge(handle) for handle in handles))
        assert ArchiveRepository(engine).summary().records == 0
        engine.dispose()
        await asyncio.to_thread(own_postgres.stop)
        await asyncio.gather(*(resolve(handle) for handle in handles))

        failures = await asyncio.gather(
            *(wait_for_retries(handle, "document_incident", attempt=3, seconds=30) for handle in handles)
        )
        assert failures == [unreachable] * INCIDENTS
        statuses = [(await handle.describe()).status for handle in handles]
        assert statuses == [WorkflowExecutionStatus.RUNNING] * INCIDENTS
        assert sorted(settings.records_dir.glob("*.json")) == []  # the export follows the store

        await asyncio.to_thread(own_postgres.start)
        records: list[IncidentRecord] = await asyncio.wait_for(
            asyncio.gather(*(handle.result() for handle in handles)), timeout=90
        )

    try:
        archive = ArchiveRepository(engine)
        rows = archived_rows(engine)
        assert [position for position, _, _, _ in rows] == list(range(1, INCIDENTS + 1))
        assert sorted(incident_id for _, incident_id, _, _ in rows) == sorted(handle.id for handle in handles)
        content = {incident_id: text for _, incident_id, _, text in rows}
        assert [content[record.incident_id] for record in records] == [canonical_json(record) for record in records]
        assert archive.verify() is None
        assert sorted(path.stem for path in settings.records_dir.glob("*.json")) == sorted(h.id for h in handles)
    finally:
        engine.dispose()
