"""``incidents oncall``: who is on call in the catalog's schedules, now or at a given time, and until when."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from adapters.catalog_file import load_catalog
from domain.errors import ConfigError
from domain.models import as_utc
from domain.policy.schedules import OnCallView, Schedule, on_call_view, parse_moment
from starter.console import fail, load_settings

NONE = "-"
AT_HELP = (
    "The moment to look at, ISO 8601: with an offset (2026-12-24T09:00+01:00, ...Z) it is that instant; without one "
    "(2026-12-24T09:00, 2026-12-24) it is local time in each schedule's own time zone. Default: now."
)
COLUMNS = ("SCHEDULE", "ON CALL", "DECIDED BY", "UNTIL (LOCAL)", "UNTIL (UTC)")


def parse_at(text: str) -> datetime:
    """The moment as written: aware with an offset, naive (local to each schedule) without; exit 2 if unreadable."""
    try:
        return parse_moment(text)
    except ValueError as error:
        fail(f"--at: {error}", code=2)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def _row(found: OnCallView, schedule: Schedule) -> tuple[str, ...]:
    until = found.until
    return (
        found.schedule,
        found.user or "nobody",
        found.decided_by,
        _local(until, schedule.zone) if until is not None else "no change ahead",
        as_utc(until) if until is not None else NONE,
    )


def _table(rows: list[tuple[str, ...]]) -> str:
    table = [COLUMNS, *rows]
    widths = [max(len(row[index]) for row in table) for index in range(len(COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table)


def oncall_command(
    schedule: Annotated[
        str | None, typer.Argument(metavar="SCHEDULE", help="A schedule id from the catalog; default: all.")
    ] = None,
    at: Annotated[str | None, typer.Option("--at", metavar="TIME", help=AT_HELP)] = None,
    catalog: Annotated[Path | None, typer.Option(help="The catalog file (default: INCIDENTS_CATALOG_PATH).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show who is on call in each schedule (or the one named), what decided it, and until when."""
    moment = parse_at(at) if at is not None else datetime.now(UTC)
    try:
        loaded = load_catalog(catalog or load_settings().catalog_path)
    except ConfigError as error:
        fail(str(error))
    schedules = loaded.catalog.schedules
    if schedule is not None and schedule not in schedules:
        known = ", ".join(sorted(schedules)) or "none"
        fail(f"unknown schedule {schedule!r}; the catalog's schedules: {known}", code=2)
    names = [schedule] if schedule is not None else sorted(schedules)
    try:
        answers = [on_call_view(name, schedules[name], moment) for name in names]
    except OverflowError:
        fail(f"--at: {at!r} is too far in the past or the future to answer", code=2)
    if as_json:
        typer.echo(json.dumps([a.model_dump(mode="json") for a in answers], indent=2))
        return
    if not answers:
        typer.echo(f"no schedules in {loaded.path}")
        return
    instants = {a.at for a in answers}
    when = as_utc(answers[0].at) if len(instants) == 1 else f"{moment.isoformat()} local time in each schedule's zone"
    typer.echo(f"on call at {when}")
    typer.echo(_table([_row(a, schedules[a.schedule]) for a in answers]))
