"""Triggers with a key (alerts, events, reports with a dedup key) folded into the open incident for that key.

Every trigger for a key goes to ``INC-<digest>``, then ``INC-<digest>-2`` once that one has closed, and so on. Each
candidate id is tried with update-with-start: a running incident takes the triggers (USE_EXISTING), a free id starts
a new incident, a closed one refuses (REJECT_DUPLICATE) and so does a resolved one still closing, so the next number
is tried. Concurrent duplicates, from one process or several, land on the same incident.

A trigger that only resolves alerts (``domain.incident.only_resolves``: an Alertmanager group whose alerts are all
resolved) never starts anything: it is sent as a plain update, so it folds into the incident open for its key, and
when none is open (never opened, resolved, closed) it is dropped and its result is None. A second Alertmanager
sending the same "resolved" notification a few milliseconds later therefore changes nothing and pages nobody.

Temporal admits only a few updates in flight per workflow, so ``TriggerSender`` keeps at most one in flight per key
from this process: triggers that arrive meanwhile ride the next update together (an alert storm of thousands becomes
a few dozen updates). Busy answers from the server are retried with a short backoff.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from adapters.incident_client import initial_search_attributes, refused
from domain.errors import ActionRefused
from domain.incident import only_resolves
from domain.messages.actions import TriggerBatch, TriggerRequest, TriggerResult
from domain.messages.steps import IncidentInput
from domain.models import IncidentReport, Status
from workflows import search_attributes as sa
from workflows.incident import IncidentWorkflow

logger = logging.getLogger("incidents.triggers")

MAX_INCIDENTS_PER_KEY = 1000
MAX_BATCH = 500
MAX_BATCH_BYTES = 1 << 20
"""Temporal refuses payloads over 2 MiB; a batch stays well under it."""
BUSY_RETRIES = 8
_BUSY = (RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.UNAVAILABLE, RPCStatusCode.ABORTED)
_DONE = (Status.RESOLVED.value, Status.CLOSED.value)


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
) -> list[TriggerResult | None]:
    """Fold ``triggers`` (one key) into incidents, in order; one result per trigger, None for one that only resolves
    alerts and found no incident open."""
    results: list[TriggerResult | None] = []
    remaining = list(triggers)
    number = 1
    while remaining:
        if number > MAX_INCIDENTS_PER_KEY:
            raise ActionRefused(f"more than {MAX_INCIDENTS_PER_KEY} incidents for one key; use another dedup key")
        incident_id = keyed_incident_id(remaining[0].dedup_key, number)
        if only_resolves(remaining[0]):
            outcome = await _update_open(client, incident_id, remaining)
            if isinstance(outcome, _NothingOpen):
                dropped = _leading_resolves(remaining)
                logger.info("%d resolved notification(s) for %s with no incident open: dropped", dropped, incident_id)
                results += [None] * dropped
                remaining = remaining[dropped:]
                continue  # what follows fires: it opens the incident this number names
        else:
            outcome = await _update_with_start(client, incident_id, report, summary, remaining, target)
        if not isinstance(outcome, TriggerResult):  # closed or closing: the triggers belong to the next incident
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


def _leading_resolves(triggers: list[TriggerRequest]) -> int:
    return next((index for index, trigger in enumerate(triggers) if not only_resolves(trigger)), len(triggers))


class _NothingOpen:
    """No incident has this id (so none is open for the key): a trigger that only resolves alerts is dropped."""


async def _update_open(
    client: Client, incident_id: str, triggers: list[TriggerRequest]
) -> TriggerResult | _NothingOpen | None:
    """Fold the triggers into ``incident_id`` only if it runs; None when it is resolved or closed (try the next)."""
    handle = client.get_workflow_handle(incident_id)

    async def update() -> TriggerResult:
        result: TriggerResult = await handle.execute_update(
            IncidentWorkflow.add_triggers, TriggerBatch(triggers=triggers)
        )
        return result

    try:
        return await _busy_retried(update)
    except WorkflowUpdateFailedError as error:
        if _resolved(error):
            return None
        raise refused(error) from error
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    try:  # not running: closed (a later number may be open), or never started (nothing is open)
        await handle.describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return _NothingOpen()
        raise
    return None


async def _update_with_start(
    client: Client,
    incident_id: str,
    report: IncidentReport,
    summary: str,
    triggers: list[TriggerRequest],
    target: Target,
) -> TriggerResult | None:
    limit = {"history_limit": target.history_limit} if target.history_limit is not None else {}

    async def update_with_start() -> TriggerResult:
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
        finally:
            _retrieve_start_outcome(operation)
        return result

    try:
        return await _busy_retried(update_with_start)
    except WorkflowAlreadyStartedError:
        return None
    except WorkflowUpdateFailedError as error:
        if _resolved(error):
            return None
        raise refused(error) from error


def _retrieve_start_outcome(operation: WithStartWorkflowOperation[Any, Any]) -> None:
    """Mark the start's outcome as seen. The SDK also sets a failed start (``WorkflowAlreadyStartedError`` for a
    closed incident) on the operation's own future; unread, asyncio logs "Future exception was never retrieved"."""
    started: asyncio.Future[Any] = operation._workflow_handle
    if started.done() and not started.cancelled():
        started.exception()


def _resolved(error: WorkflowUpdateFailedError) -> bool:
    return isinstance(error.cause, ApplicationError) and error.cause.type == "IncidentResolved"


async def _busy_retried(call: Callable[[], Awaitable[TriggerResult]]) -> TriggerResult:
    """``call()``, retried with a short backoff while the server answers busy (too many updates in flight, a run
    continuing as new)."""
    for attempt in range(BUSY_RETRIES):
        try:
            return await call()
        except RPCError as error:
            if error.status not in _BUSY or attempt == BUSY_RETRIES - 1:
                raise
            await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
    raise AssertionError("unreachable")


async def trigger_incident(
    client: Client,
    report: IncidentReport,
    trigger: TriggerRequest,
    *,
    task_queue: str,
    summary: str,
    history_limit: int | None = None,
) -> TriggerResult | None:
    """Fold one trigger on its own (no coalescing); see ``TriggerSender`` for many at once. None: the trigger only
    resolves alerts and no incident is open for its key (nothing was started)."""
    results = await send_batch(client, report, summary, [trigger], Target(task_queue, history_limit))
    return results[0]


_Pending = tuple[IncidentReport, str, TriggerRequest, "asyncio.Future[TriggerResult | None]"]


class TriggerSender:
    """Sends triggers with at most one update in flight per key; those that wait ride the next update together."""

    def __init__(self, client: Client, task_queue: str, history_limit: int | None = None) -> None:
        self._client = client
        self._target = Target(task_queue, history_limit)
        self._pending: defaultdict[str, list[_Pending]] = defaultdict(list)
        self._draining: dict[str, asyncio.Task[None]] = {}

    async def send(self, report: IncidentReport, trigger: TriggerRequest, summary: str) -> TriggerResult | None:
        """What became of the trigger; None when it only resolves alerts and no incident was open for its key."""
        future: asyncio.Future[TriggerResult | None] = asyncio.get_running_loop().create_future()
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
    """The id of the incident open for a key (running, neither resolved nor closed), or None when there is none.

    A resolved incident still closing is not open: nothing more can be done to it, and a later number may be open.
    """
    for number in range(1, MAX_INCIDENTS_PER_KEY + 1):
        incident_id = keyed_incident_id(dedup_key, number)
        try:
            description = await client.get_workflow_handle(incident_id).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        status = description.typed_search_attributes.get(sa.INCIDENT_STATUS)
        if description.status == WorkflowExecutionStatus.RUNNING and status not in _DONE:
            return incident_id
    return None
