"""Reporting from the command line: read a report file, start the incident, wait for its classification."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from adapters.catalog_file import load_catalog
from adapters.codec import codec_from_settings
from adapters.incident_client import classification, report_incident, summary_line
from adapters.settings import Settings
from adapters.temporal import connect
from domain.errors import ConfigError
from domain.messages.actions import ActionResult
from domain.models import IncidentReport


def parse_labels(labels: list[str]) -> dict[str, str]:
    parsed = {}
    for label in labels:
        name, separator, value = label.partition("=")
        if not separator:
            raise ValueError(f"labels: {label!r} is not key=value")
        parsed[name.strip()] = value.strip()
    return parsed


def read_report(file: Path | None, labels: list[str] | None) -> dict[str, Any]:
    """The report's fields from a JSON file (if any) and ``--label`` options; ValueError names what is wrong."""
    data: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = json.loads(file.read_text())
        except OSError as error:
            raise ValueError(f"{file}: cannot read the report: {error.strerror or error}") from error
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{file}: not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}"
            ) from error
        if not isinstance(loaded, dict):
            raise ValueError(f"{file}: the report must be a JSON object with title, service, category, ...")
        data.update(loaded)
    if labels:
        data["labels"] = parse_labels(labels)
    return data


def summary_for(report: IncidentReport, settings: Settings) -> str:
    """The UI summary with the priority the catalog implies; without the priority if the catalog is unreadable."""
    try:
        loaded = load_catalog(settings.catalog_path)
    except ConfigError as error:
        typer.echo(f"warning: {error}; the summary shows no priority", err=True)
        return summary_line(report, None)
    return summary_line(report, loaded.catalog, loaded.version)


async def report_and_classify(
    settings: Settings, report: IncidentReport, wait_seconds: float
) -> tuple[str, ActionResult | None]:
    """Start the incident; answer its id and classification, or None if no worker classified it in time."""
    client = await connect(codec=codec_from_settings(settings))
    incident_id, handle = await report_incident(
        client, report, task_queue=settings.task_queue, summary=summary_for(report, settings)
    )
    try:
        return incident_id, await asyncio.wait_for(classification(handle), wait_seconds)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        # The SDK answers a cancelled update call (wait_for's timeout) with its own error instead of TimeoutError.
        return incident_id, None
