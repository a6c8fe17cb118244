"""Running one command's work: async steps, validation, and errors as ``error: ...`` lines with exit codes.

Exit codes: 0 done, 1 the incident or Temporal refused (or could not be reached), 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from adapters.settings import Settings
from domain.errors import ActionRefused, ArchiveError, ConfigError, IncidentNotFound, TemporalUnavailable
from domain.models import format_validation_error

NO_ANSWER = "no worker answered in time; is a worker running on the incident's task queue? (incidents worker)"

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run one async step; the project's errors and Temporal's refusals become ``error: ...`` and exit 1."""
    try:
        return asyncio.run(work)
    except (IncidentNotFound, ActionRefused, TemporalUnavailable, ConfigError, ArchiveError) as error:
        problem: str | None = str(error)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        problem = NO_ANSWER
    except RPCError as error:
        timed_out = error.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)
        problem = NO_ANSWER if timed_out else f"Temporal refused the request: {error.message}"
    except KeyboardInterrupt:
        problem = None
    finally:
        # Free the Temporal client while the interpreter is whole: one freed during finalization can abort the
        # process with "PyGILState_Release: thread state must be current" (temporalio/sdk-python#300).
        gc.collect()
    if problem is None:
        raise typer.Exit(130)
    fail(problem)


def validated(model: type[M], data: dict[str, Any]) -> M:
    """The model, or exit 2 naming each field and its problem."""
    try:
        return model.model_validate({key: value for key, value in data.items() if value is not None})
    except ValidationError as error:
        fail(format_validation_error(error), code=2)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        fail(f"settings: {format_validation_error(error)}")
