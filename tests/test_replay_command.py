"""``incidents replay`` against a real dev server: clean histories pass, a changed workflow is caught."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio import workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

with workflow.unsafe.imports_passed_through():  # the sandbox re-imports this module for the changed workflow
    import httpx
    import pytest

    from adapters.catalog_file import LoadedCatalog
    from adapters.incident_client import act, classification, report_incident
    from domain.messages.actions import AcknowledgeRequest, ResolveRequest
    from domain.messages.steps import IncidentInput
    from domain.models import Status
    from domain.views.record import IncidentRecord
    from starter.replay import ReplayOutcome, exit_code, parse_since, replay_query, replay_recent, summary
    from tests.support.cli import Outcome, clean_environment, incidents
    from tests.support.incidents import PAYMENTS
    from tests.support.settings import make_settings
    from worker import build_worker
    from workflows.incident import CLASSIFY_LOCALLY, IncidentWorkflow

VISIBILITY_TIMEOUT = 10.0


@workflow.defn(name="IncidentWorkflow")
class SleepFirstIncidentWorkflow(IncidentWorkflow):
    """A careless change: the same workflow, but it waits a second before anything else."""

    @workflow.run
    async def run(self, input: IncidentInput) -> IncidentRecord:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(input)


async def listed_count(client: Client, query: str, count: int) -> None:
    """Visibility is eventually consistent: wait until ``query`` lists ``count`` executions."""
    deadline = asyncio.get_running_loop().time() + VISIBILITY_TIMEOUT
    while (found := (await client.count_workflows(query)).count) != count:
        assert asyncio.get_running_loop().time() < deadline, f"{found} executions listed, expected {count}"
        await asyncio.sleep(0.25)


async def test_replay_passes_current_code_and_catches_a_nondeterministic_change(
    dev_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path
) -> None:
    client = dev_env.client
    settings = make_settings(tmp_path)
    async with httpx.AsyncClient() as http, build_worker(client, settings, catalog, http):
        closed = []
        for responder in ("amara", "bruno"):
            incident_id, handle = await report_incident(client, PAYMENTS, task_queue=settings.task_queue, summary="x")
            await classification(handle)
            await act(client, incident_id, IncidentWorkflow.acknowledge, AcknowledgeRequest(by=responder))
            request = ResolveRequest(by=responder, summary="rolled back", root_cause="bad deploy")
            await act(client, incident_id, IncidentWorkflow.resolve, request)
            record = await client.get_workflow_handle_for(IncidentWorkflow.run, incident_id).result()
            assert (record.incident_id, record.resolved_by) == (incident_id, responder)
            closed.append(incident_id)
        open_id, open_handle = await report_incident(client, PAYMENTS, task_queue=settings.task_queue, summary="x")
        assert (await classification(open_handle)).status is Status.TRIGGERED

        try:
            narrow = f"TaskQueue = '{settings.task_queue}'"
            await listed_count(client, f"{narrow} AND ExecutionStatus = 'Completed'", 2)
            await listed_count(client, narrow, 3)
            ids = sorted([*closed, open_id])

            env = clean_environment(
                TEMPORAL_ADDRESS=client.service_client.config.target_host, TEMPORAL_NAMESPACE=client.namespace
            )
            outcome = await incidents("replay", "--since", "1h", "--query", narrow, env=env)
            assert outcome == Outcome(
                0,
                "".join(f"ok {incident_id}\n" for incident_id in ids)
                + "replayed 3 incidents: 3 ok, 0 nondeterministic\n",
                "",
            )

            query = replay_query(datetime.now(UTC) - timedelta(hours=1), narrow)
            changed = await replay_recent(client, query, 100, workflows=[SleepFirstIncidentWorkflow])
            # The changed code sleeps where the history says the classification's patch marker was recorded.
            assert [o.line() for o in changed] == [
                f"NONDETERMINISM {incident_id}: [TMPRL1100] Nondeterminism error: Non-deprecated patch marker "
                f"encountered for change {CLASSIFY_LOCALLY}, but there is no corresponding change command!"
                for incident_id in ids
            ]
            assert summary(changed) == "replayed 3 incidents: 0 ok, 3 nondeterministic"
            assert exit_code(changed) == 1
        finally:
            await open_handle.terminate("test cleanup")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
    ],
)
def test_since_durations(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["", "24", "0h", "1w", "-3h", "1.5h"])
def test_since_refuses_other_text(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_since(text)
    assert str(refused.value) == f"--since: {text!r} is not a duration like 30m, 24h or 7d"


def test_query_and_summary() -> None:
    started = datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC)
    assert replay_query(started) == "WorkflowType = 'IncidentWorkflow' AND StartTime > '2026-03-01T12:30:05Z'"
    assert replay_query(started, "IncidentStatus = 'triggered'") == (
        "WorkflowType = 'IncidentWorkflow' AND StartTime > '2026-03-01T12:30:05Z' AND (IncidentStatus = 'triggered')"
    )
    outcomes = [ReplayOutcome("INC-A"), ReplayOutcome("INC-B", "boom", nondeterministic=False)]
    assert [o.line() for o in outcomes] == ["ok INC-A", "FAILED INC-B: boom"]
    assert (summary(outcomes), exit_code(outcomes)) == ("replayed 2 incidents: 1 ok, 0 nondeterministic, 1 failed", 1)
    assert (summary(outcomes[:1]), exit_code(outcomes[:1])) == ("replayed 1 incident: 1 ok, 0 nondeterministic", 0)
    assert (summary([]), exit_code([])) == ("replayed 0 incidents: 0 ok, 0 nondeterministic", 0)


async def test_bad_since_is_refused_before_connecting() -> None:
    outcome = await incidents("replay", "--since", "yesterday", env=clean_environment(TEMPORAL_ADDRESS="127.0.0.1:1"))
    assert outcome == Outcome(2, "", "error: --since: 'yesterday' is not a duration like 30m, 24h or 7d\n")
