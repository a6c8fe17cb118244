"""``incidents stats``: MTTA, MTTR, SLA compliance and more over the closed incident records, as a report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from adapters.archive.present import open_archive
from domain.models import Priority
from domain.views.stats import StatsFilter, compute_stats
from starter.console import fail, load_settings, run, validated
from starter.stats.files import load_records
from starter.stats.formats import RENDERERS, StatsFormat

DEFAULT_HTML = Path("incident-stats.html")


def parse_moment(option: str, text: str) -> datetime:
    """An ISO 8601 date or date-time; without a time zone it is UTC, a bare date is midnight UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option}: {text!r} is not an ISO 8601 date or time, e.g. 2026-01-05 or 2026-01-05T09:00:00Z", code=2)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def stats_command(
    since: Annotated[str, typer.Option(metavar="ISO-TIME", help="First instant counted (opened_at >= since).")],
    until: Annotated[str, typer.Option(metavar="ISO-TIME", help="End, excluded (opened_at < until).")],
    service: Annotated[str | None, typer.Option(help="Only incidents of this service.")] = None,
    team: Annotated[str | None, typer.Option(help="Only incidents owned by this team.")] = None,
    priority: Annotated[Priority | None, typer.Option(help="Only incidents with this priority.")] = None,
    records_dir: Annotated[
        Path | None,
        typer.Option(
            help="Count the <id>.json records in this directory instead of the archive (default: the archive, "
            "else INCIDENTS_RECORDS_DIR)."
        ),
    ] = None,
    output_format: Annotated[StatsFormat, typer.Option("--format", help="table, json, csv or html.")] = (
        StatsFormat.TABLE
    ),
    output: Annotated[
        Path | None, typer.Option(help=f"Write to this file (html: default {DEFAULT_HTML}); else print.")
    ] = None,
) -> None:
    """Statistics over closed incidents opened in [since, until): MTTA, MTTR, SLA compliance, busiest services."""
    start, end = parse_moment("--since", since), parse_moment("--until", until)
    if start >= end:
        fail(f"--since ({start.isoformat()}) must be before --until ({end.isoformat()})", code=2)
    filters = validated(
        StatsFilter,
        {
            "since": start,
            "until": end,
            "service": service,
            "team": team,
            "priority": priority,
        },
    )
    settings = load_settings()
    archive = open_archive(settings) if records_dir is None else None
    if archive is not None:  # every worker's incidents
        stats = run(asyncio.to_thread(archive.stats, filters))
    else:
        directory = records_dir or settings.records_dir
        if not directory.is_dir():
            fail(f"records directory {directory} does not exist or is not a directory", code=2)
        stats = compute_stats(load_records(directory), filters)
    text = RENDERERS[output_format](stats)
    target = output or (DEFAULT_HTML if output_format is StatsFormat.HTML else None)
    if target is None:
        typer.echo(text, nl=False)
        return
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {target}: {error.strerror or error}")
    typer.echo(f"wrote {target}")
