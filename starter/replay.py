"""``incidents replay``: replay recent incidents' histories from the cluster against this code before deploying it.

A change that fails here would break those incidents once deployed (nondeterminism): guard it with
``workflow.patched`` instead, as README's Operations section explains.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from adapters.codec import codec_from_settings
from adapters.temporal import connect
from starter.console import fail, load_settings, run
from workflows.incident import IncidentWorkflow

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_SINCE = re.compile(r"([1-9][0-9]*)([smhd])")
_CORE_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class ReplayOutcome:
    """One execution replayed: ``failure`` is None when it replayed cleanly."""

    incident_id: str
    failure: str | None = None
    nondeterministic: bool = False

    def line(self) -> str:
        if self.failure is None:
            return f"ok {self.incident_id}"
        kind = "NONDETERMINISM" if self.nondeterministic else "FAILED"
        return f"{kind} {self.incident_id}: {self.failure}"


def parse_since(text: str) -> timedelta:
    """``90s``, ``30m``, ``24h`` or ``7d``."""
    match = _SINCE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"--since: {text!r} is not a duration like 30m, 24h or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def replay_query(started_after: datetime, query: str | None = None) -> str:
    """Incident workflows started after ``started_after``, narrowed by an extra visibility ``query``."""
    since = started_after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    base = f"WorkflowType = 'IncidentWorkflow' AND StartTime > '{since}'"
    return f"{base} AND ({query})" if query else base


async def replay_recent(
    client: Client, query: str, limit: int, workflows: Sequence[type] = (IncidentWorkflow,)
) -> list[ReplayOutcome]:
    """Fetch the histories ``query`` lists (at most ``limit``) and replay each against ``workflows``."""
    histories: list[WorkflowHistory] = [
        history async for history in client.list_workflows(query, limit=limit).map_histories()
    ]
    replayer = Replayer(workflows=list(workflows), data_converter=client.data_converter)
    results = await replayer.replay_workflows(_each(histories), raise_on_replay_failure=False)
    outcomes = []
    for history in histories:
        failure = results.replay_failures.get(history.run_id)
        if failure is None:
            outcomes.append(ReplayOutcome(history.workflow_id))
        else:
            nondeterministic = isinstance(failure, NondeterminismError)
            outcomes.append(ReplayOutcome(history.workflow_id, _message(failure), nondeterministic))
    return sorted(outcomes, key=lambda outcome: outcome.incident_id)


def _message(failure: Exception) -> str:
    """The core's message inside its failure dump (``... message: "[TMPRL1100] Nondeterminism error: ..." ...``)."""
    text = " ".join(str(failure).split())
    found = _CORE_MESSAGE.search(text)
    return found.group(1) if found else text or type(failure).__name__


async def _each(histories: Sequence[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in histories:
        yield history


def summary(outcomes: Sequence[ReplayOutcome]) -> str:
    failed = [outcome for outcome in outcomes if outcome.failure is not None]
    nondeterministic = sum(outcome.nondeterministic for outcome in failed)
    noun = "incident" if len(outcomes) == 1 else "incidents"
    text = f"replayed {len(outcomes)} {noun}: {len(outcomes) - len(failed)} ok, {nondeterministic} nondeterministic"
    if len(failed) > nondeterministic:
        text += f", {len(failed) - nondeterministic} failed"
    return text


def exit_code(outcomes: Sequence[ReplayOutcome]) -> int:
    return 1 if any(outcome.failure is not None for outcome in outcomes) else 0


def replay_command(
    since: Annotated[str, typer.Option(metavar="DURATION", help="How far back: 30m, 24h, 7d.")] = "24h",
    limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many executions.")] = 100,
    query: Annotated[
        str | None,
        typer.Option(metavar="Q", help="A visibility query to narrow them, e.g. \"IncidentStatus = 'triggered'\"."),
    ] = None,
) -> None:
    """Replay recent incidents from the cluster against this code; exit 1 if any would break (nondeterminism)."""
    try:
        started_after = datetime.now(UTC) - parse_since(since)
    except ValueError as error:
        fail(str(error), code=2)

    async def work() -> list[ReplayOutcome]:
        client = await connect(codec=codec_from_settings(load_settings()))  # encrypted histories decode too
        return await replay_recent(client, replay_query(started_after, query), limit)

    outcomes = run(work())
    for outcome in outcomes:
        typer.echo(outcome.line())
    typer.echo(summary(outcomes))
    raise typer.Exit(exit_code(outcomes))
