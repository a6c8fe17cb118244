"""What every responder command shares: its options, the client with the payload codec, and one update answered as
the incident's new status."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from temporalio.client import Client

from adapters.codec import codec_from_settings
from adapters.incident_client import act
from adapters.temporal import connect
from domain.messages.actions import ActionResult
from starter import output
from starter.console import load_settings, run

By = Annotated[str, typer.Option("--by", help="The responder acting (a user id from the catalog).")]
IncidentId = Annotated[str, typer.Argument(metavar="ID", help="The incident id, e.g. INC-ABCDEF1234.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
Wait = Annotated[float, typer.Option(min=0.1, metavar="SECONDS", help="How long to wait for a worker to answer.")]


async def connect_client() -> Client:
    """A client with the payload codec of INCIDENTS_ENCRYPTION_KEYS (none when unset)."""
    return await connect(codec=codec_from_settings(load_settings()))


def act_and_print(incident_id: str, update: Callable[..., Any], request: BaseModel, as_json: bool, wait: float) -> None:
    async def work() -> ActionResult:
        return await asyncio.wait_for(act(await connect_client(), incident_id, update, request), wait)

    result = run(work())
    typer.echo(output.action_json(result) if as_json else output.action_line(result))
