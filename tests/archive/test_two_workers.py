"""Two worker processes, one PostgreSQL archive: twenty incidents closed at once are archived once each, at positions
1 to 20, the chain whole, whichever process documented each."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from adapters.archive import ArchiveRepository, create_archive_engine, parse_database_url
from domain.views.archive_chain import canonical_json
from domain.views.record import IncidentRecord
from tests.support.archive import archived_rows
from tests.support.incidents import acknowledge, activity_identity, resolve, start
from tests.support.postgres import PostgresCluster
from tests.support.processes import spawn_worker, stop_worker, wait_for_pollers, worker_env
from tests.support.settings import EXAMPLE_CATALOG

INCIDENTS = 20


async def test_two_worker_processes_archive_twenty_incidents_closed_at_once_exactly_once(
    dev_env: WorkflowEnvironment, postgres: PostgresCluster, postgres_template: str, tmp_path: Path
) -> None:
    database = postgres.create_database(template=postgres_template)
    task_queue = f"incidents-{uuid.uuid4()}"
    address = dev_env.client.service_client.config.target_host
    env = worker_env(address, task_queue, EXAMPLE_CATALOG, tmp_path / "records", database_url=postgres.url(database))
    workers = [await spawn_worker(env, tmp_path) for _ in range(2)]
    try:
        await wait_for_pollers(dev_env.client, task_queue, workers)
        handles = [await start(dev_env.client, task_queue) for _ in range(INCIDENTS)]
        await asyncio.gather(*(acknowledge(handle) for handle in handles))
        await asyncio.gather(*(resolve(handle) for handle in handles))  # twenty closing, and documented, at once
        records: list[IncidentRecord] = await asyncio.wait_for(
            asyncio.gather(*(handle.result() for handle in handles)), timeout=120
        )
        documented_by = [await activity_identity(handle, "document_incident") for handle in handles]
    finally:
        await asyncio.gather(*(stop_worker(worker) for worker in workers))

    engine = create_archive_engine(parse_database_url(postgres.url(database)))
    try:
        archive = ArchiveRepository(engine)
        rows = archived_rows(engine)
        assert [position for position, _, _, _ in rows] == list(range(1, INCIDENTS + 1))
        assert Counter(incident_id for _, incident_id, _, _ in rows) == Counter(handle.id for handle in handles)
        assert {kind for _, _, kind, _ in rows} == {"record"}
        content = {incident_id: text for _, incident_id, _, text in rows}
        assert [content[record.incident_id] for record in records] == [canonical_json(record) for record in records]
        assert archive.verify() is None
        assert archive.summary().records == INCIDENTS
    finally:
        engine.dispose()
        postgres.drop_database(database)
    pids = Counter(identity.partition("@")[0] for identity in documented_by)
    assert set(pids) <= {str(worker.pid) for worker in workers}  # both take a share; how much is the server's choice
    assert sum(pids.values()) == INCIDENTS
