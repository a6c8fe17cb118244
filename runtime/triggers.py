"""Triggers with a key (alerts, events, reports with a dedup key) folded into the open incident for that key.

Every trigger for a key goes to ``INC-<digest>``, then ``INC-<digest>-2`` once that one has closed, and so on. Each
candidate id is tried with update-with-start: a running incident takes the triggers (USE_EXISTING), a free id starts
a new incident, a closed one refuses (REJECT_DUPLICATE) and so does a resolved one still closing, so the next number
is tried. Concurrent duplicates, from one process or several, land on the same incident.

Temporal admits only a few updates in flight per workflow, so ``TriggerSender`` keeps at most one in flight per key
from this process: triggers that arrive meanwhile ride the next update together (an alert storm of thousands becomes
a few dozen updates). Busy answers from the server are retried with a short backoff.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import ActionRefused
from domain.models import IncidentReport
from domain.requests import IncidentInput, TriggerBatch, TriggerRequest, TriggerResult
from runtime.incidents import initial_search_attributes, refused
from workflows.incident import IncidentWorkflow

MAX_INCIDENTS_PER_KEY = 1000
MAX_BATCH = 500
MAX_BATCH_BYTES = 1 << 20
"""Temporal refuses payloads over 2 MiB; a batch stays well under it."""
BUSY_RETRIES = 8
_BUSY = (RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.UNAVAILABLE, RPCStatusCode.ABORTED)


def keyed_incident_id(dedup_key: str, number: int) -> str:
    """The id of the ``number``-th incident opened for a key: ``INC-<digest>``, then ``INC-<digest>-2``, ..."""
    digest = base64.b32encode(hashlib.sha256(dedup_key.encode()).digest()).decode()[:10]
    return f"INC-{digest}" if number == 1 else f"INC-{digest}-{number}"


@dataclass(frozen=True)
class Target:
    task_queue: str
    history_limit: int | None = None


async def send_batch(
    client: Client, report: IncidentReport, summary: str, triggers: list[TriggerRequest], target: Target
) -> list[TriggerResult]:
    """Fold ``triggers`` (one key) into incidents, in order; one result per trigger."""
    results: list[TriggerResult] = []
    remaining = list(triggers)
    number = 1
    while remaining:
        if number > MAX_INCIDENTS_PER_KEY:
            raise ActionRefused(f"more than {MAX_INCIDENTS_PER_KEY} incidents for one key; use another dedup key")
        incident_id = keyed_incident_id(remaining[0].dedup_key, number)
        outcome = await _update_with_start(client, incident_id, report, summary, remaining, target)
        if outcome is None:  # closed or closing: the triggers belong to the next incident
            number += 1
            continue
        base = outcome.triggers - outcome.accepted
        for index in range(outcome.accepted):
            results.append(
                outcome.model_copy(update={"triggers": base + index + 1, "opened": outcome.opened and index == 0})
            )
        remaining = remaining[outcome.accepted :]
        if remaining:  # the batch resolved the incident part way: the rest open the next one
            number += 1
    return results


async def _update_with_start(
    client: Client,
    incident_id: str,
    report: IncidentReport,
    summary: str,
    triggers: list[TriggerRequest],
    target: Target,
) -> TriggerResult | None:
    limit = {"history_limit": target.history_limit} if target.history_limit is not None else {}
    for attempt in range(BUSY_RETRIES):
        operation = WithStartWorkflowOperation(
            IncidentWorkflow.run,
            IncidentInput(incident_id=incident_id, report=report, **limit),
            id=incident_id,
            task_queue=target.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=summary,
            search_attributes=initial_search_attributes(report),
        )
        try:
            result: TriggerResult = await client.execute_update_with_start_workflow(
                IncidentWorkflow.add_triggers, TriggerBatch(triggers=triggers), start_workflow_operation=operation
            )
            return result
        except WorkflowAlreadyStartedError:
            return None
        except WorkflowUpdateFailedError as error:
            if isinstance(error.cause, ApplicationError) and error.cause.type == "IncidentResolved":
                return None
            raise refused(error) from error
        except RPCError as error:
            if error.status not in _BUSY or attempt == BUSY_RETRIES - 1:
                raise
            await asyncio.sleep(min(0.05 * 2**attempt, 2.0))  # too many updates in flight, or a run continuing
    raise AssertionError("unreachable")


async def trigger_incident(
    client: Client,
    report: IncidentReport,
    trigger: TriggerRequest,
    *,
    task_queue: str,
    summary: str,
    history_limit: int | None = None,
) -> TriggerResult:
    """Fold one trigger on its own (no coalescing); see ``TriggerSender`` for many at once."""
    results = await send_batch(client, report, summary, [trigger], Target(task_queue, history_limit))
    return results[0]


_Pending = tuple[IncidentReport, str, TriggerRequest, "asyncio.Future[TriggerResult]"]


class TriggerSender:
    """Sends triggers with at most one update in flight per key; those that wait ride the next update together."""

    def __init__(self, client: Client, task_queue: str, history_limit: int | None = None) -> None:
        self._client = client
        self._target = Target(task_queue, history_limit)
        self._pending: defaultdict[str, list[_Pending]] = defaultdict(list)
        self._draining: dict[str, asyncio.Task[None]] = {}

    async def send(self, report: IncidentReport, trigger: TriggerRequest, summary: str) -> TriggerResult:
        future: asyncio.Future[TriggerResult] = asyncio.get_running_loop().create_future()
        self._pending[trigger.dedup_key].append((report, summary, trigger, future))
        if trigger.dedup_key not in self._draining:
            self._draining[trigger.dedup_key] = asyncio.create_task(self._drain(trigger.dedup_key))
        return await future

    async def _drain(self, key: str) -> None:
        try:
            while self._pending.get(key):
                batch = _take_batch(self._pending[key])
                report, summary = batch[0][0], batch[0][1]
                try:
                    results = await send_batch(self._client, report, summary, [t for _, _, t, _ in batch], self._target)
                except Exception as error:
                    for *_, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (*_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._pending.pop(key, None)
            del self._draining[key]


def _take_batch(pending: list[_Pending]) -> list[_Pending]:
    """The next triggers to send together: at most MAX_BATCH of them and MAX_BATCH_BYTES of JSON (always one)."""
    size, count = 0, 0
    for _, _, trigger, _ in pending[:MAX_BATCH]:
        size += len(trigger.model_dump_json())
        if count and size > MAX_BATCH_BYTES:
            break
        count += 1
    batch = pending[:count]
    del pending[:count]
    return batch


async def find_open_incident(client: Client, dedup_key: str) -> str | None:
    """The id of the open incident for a key, or None when every incident for it is closed (or none exists)."""
    for number in range(1, MAX_INCIDENTS_PER_KEY + 1):
        incident_id = keyed_incident_id(dedup_key, number)
        try:
            description = await client.get_workflow_handle(incident_id).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        if description.status == WorkflowExecutionStatus.RUNNING:
            return incident_id
    return None
