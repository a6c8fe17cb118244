"""The ``incidents`` command: report incidents, act on them, look them up, run a worker or a dev environment."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

import worker
from adapters.archive import ClosedFilters
from adapters.archive.present import open_archive
from adapters.catalog_file import load_catalog
from adapters.codec import codec_from_settings
from adapters.incident_client import (
    IncidentListing,
    archived_listing,
    get_status,
    list_incidents,
    visibility_query,
)
from api.codec_server import DEFAULT_UI_ORIGIN, create_codec_app, serve_codec
from api.server import serve_until_stopped
from domain.errors import ConfigError
from domain.messages.actions import (
    AcknowledgeRequest,
    EscalateRequest,
    NoteRequest,
    ReassignRequest,
    ReopenRequest,
    ResolveRequest,
    RoleRequest,
    SetPriorityRequest,
    SnoozeRequest,
)
from domain.models import IncidentReport, Priority, Role, Status
from domain.views.record import IncidentStatusView
from starter import output
from starter.acting import By, IncidentId, Json, Wait, act_and_print, connect_client
from starter.archive_command import archive_app, export_command
from starter.console import fail, load_settings, run, validated
from starter.dev import DevOptions, run_dev
from starter.oncall_command import oncall_command
from starter.replay import replay_command
from starter.reporting import read_report, report_and_classify
from starter.review_command import (
    action_app,
    close_command,
    repolicy_command,
    review_command,
    subscribe_command,
    update_command,
)
from starter.stats.command import stats_command
from workflows.incident import IncidentWorkflow

app = typer.Typer(
    help="Self-hosted incident management: every incident is a durable Temporal workflow.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.command()
def report(
    title: Annotated[str | None, typer.Option(help="What is wrong, in a few words.")] = None,
    service: Annotated[str | None, typer.Option(help="The affected service id from the catalog.")] = None,
    category: Annotated[
        str | None,
        typer.Option(
            help="application_error, server_downtime, api_disruption, "
            "broken_feature, network_problem, third_party_integration."
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="ticket, monitoring or internal.")] = None,
    impact: Annotated[str | None, typer.Option(help="all_users, many_users, some_users or single_user.")] = None,
    urgency: Annotated[str | None, typer.Option(help="high, medium or low.")] = None,
    reporter: Annotated[str | None, typer.Option(help="Who reports it (a person or a monitor).")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    dedup_key: Annotated[str | None, typer.Option()] = None,
    label: Annotated[list[str] | None, typer.Option(metavar="KEY=VALUE", help="A label; repeat for more.")] = None,
    occurred_at: Annotated[
        str | None, typer.Option(metavar="ISO-TIME", help="When it started, ISO 8601 with a time zone.")
    ] = None,
    file: Annotated[Path | None, typer.Option(help="A JSON report; options given as well override its fields.")] = None,
    wait: Wait = 30.0,
    as_json: Json = False,
) -> None:
    """Report an incident and print its id and priority once a worker has classified it."""
    try:
        data = read_report(file, label)
    except ValueError as error:
        fail(str(error), code=2)
    fields = {"title": title, "service": service, "category": category, "source": source, "impact": impact}
    fields |= {"urgency": urgency, "reporter": reporter, "description": description, "dedup_key": dedup_key}
    data |= {key: value for key, value in fields.items() if value is not None}
    if occurred_at is not None:
        data["occurred_at"] = occurred_at
    incident_report = validated(IncidentReport, data)
    config = load_settings()
    incident_id, result = run(report_and_classify(config, incident_report, wait))
    if result is None:
        typer.echo(incident_id)
        fail(
            f"no worker answered on task queue {config.task_queue!r} within {wait:g}s; the incident is open and "
            "will be classified once a worker runs (incidents worker)"
        )
    if as_json:
        typer.echo(output.action_json(result))
    else:
        typer.echo(f"{result.incident_id} {result.priority.value if result.priority else 'unclassified'}")


@app.command()
def ack(incident_id: IncidentId, by: By, as_json: Json = False, wait: Wait = 30.0) -> None:
    """Acknowledge an incident: you own it now, and escalation stops."""
    act_and_print(incident_id, IncidentWorkflow.acknowledge, validated(AcknowledgeRequest, {"by": by}), as_json, wait)


@app.command()
def resolve(
    incident_id: IncidentId,
    by: By,
    root_cause: Annotated[str, typer.Option(help="Why it happened.")],
    summary: Annotated[str, typer.Option(help="What fixed it.")],
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Resolve an incident; it closes (and is documented) when its policy's reopen window ends."""
    request = validated(ResolveRequest, {"by": by, "root_cause": root_cause, "summary": summary})
    act_and_print(incident_id, IncidentWorkflow.resolve, request, as_json, wait)


@app.command()
def reopen(
    incident_id: IncidentId,
    by: By,
    reason: Annotated[str, typer.Option(help="Why it is not fixed after all.")],
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Reopen a resolved incident within its policy's reopen window: its current level is paged again."""
    act_and_print(
        incident_id, IncidentWorkflow.reopen, validated(ReopenRequest, {"by": by, "reason": reason}), as_json, wait
    )


@app.command()
def role(
    incident_id: IncidentId,
    name: Annotated[Role, typer.Argument(metavar="ROLE", help="commander, scribe or communications.")],
    user: Annotated[str, typer.Argument(metavar="USER", help="Who takes the role (a user id).")],
    by: By,
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Give a role to someone: incident commander, scribe or communications lead (a hand-over when it is held)."""
    request = validated(RoleRequest, {"by": by, "role": name, "user": user})
    act_and_print(incident_id, IncidentWorkflow.assign_role, request, as_json, wait)


@app.command()
def note(
    incident_id: IncidentId, by: By, text: Annotated[str, typer.Option()], as_json: Json = False, wait: Wait = 30.0
) -> None:
    """Add a note to the incident's timeline."""
    act_and_print(
        incident_id, IncidentWorkflow.add_note, validated(NoteRequest, {"by": by, "text": text}), as_json, wait
    )


@app.command()
def escalate(
    incident_id: IncidentId,
    by: By,
    reason: Annotated[str | None, typer.Option()] = None,
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Page the next level of the escalation path now."""
    act_and_print(
        incident_id, IncidentWorkflow.escalate, validated(EscalateRequest, {"by": by, "reason": reason}), as_json, wait
    )


@app.command()
def reassign(
    incident_id: IncidentId,
    by: By,
    to: Annotated[str, typer.Option(help="The new assignee (a user id).")],
    reason: Annotated[str | None, typer.Option()] = None,
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Hand the incident to someone else; they must acknowledge it."""
    request = validated(ReassignRequest, {"by": by, "to": to, "reason": reason})
    act_and_print(incident_id, IncidentWorkflow.reassign, request, as_json, wait)


@app.command()
def priority(
    incident_id: IncidentId,
    new_priority: Annotated[Priority, typer.Argument(metavar="PRIORITY", help="P1 to P4.")],
    by: By,
    reason: Annotated[str, typer.Option()],
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Change the incident's priority; SLA deadlines follow it."""
    request = validated(SetPriorityRequest, {"by": by, "priority": new_priority, "reason": reason})
    act_and_print(incident_id, IncidentWorkflow.set_priority, request, as_json, wait)


@app.command()
def snooze(
    incident_id: IncidentId,
    by: By,
    duration: Annotated[
        str, typer.Option("--for", metavar="DURATION", help="How long nothing pages: 30m, 1h30m (at least 1m).")
    ],
    reason: Annotated[str | None, typer.Option()] = None,
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Pause paging for a while; a triggered incident is acknowledged, and triggered again when the snooze ends."""
    fields = {"by": by, "duration": duration} | ({"reason": reason} if reason is not None else {})
    act_and_print(incident_id, IncidentWorkflow.snooze, validated(SnoozeRequest, fields), as_json, wait)


@app.command()
def status(incident_id: IncidentId, as_json: Json = False, wait: Wait = 30.0) -> None:
    """Show an incident: status, priority and why, escalation, SLA clocks and timeline."""

    async def work() -> IncidentStatusView:
        return await asyncio.wait_for(
            get_status(await connect_client(), incident_id, open_archive(load_settings())), wait
        )

    view = run(work())
    typer.echo(output.status_json(view) if as_json else output.status_text(view, datetime.now(UTC)))


@app.command(name="list")
def list_command(
    status: Annotated[Status | None, typer.Option(help="Only incidents with this status.")] = None,
    priority: Annotated[Priority | None, typer.Option(help="Only incidents with this priority.")] = None,
    service: Annotated[str | None, typer.Option(help="Only incidents of this service.")] = None,
    team: Annotated[str | None, typer.Option(help="Only incidents owned by this team.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    after: Annotated[
        str | None, typer.Option(metavar="CURSOR", help="Closed incidents: the page after this one (printed below).")
    ] = None,
    as_json: Json = False,
) -> None:
    """List incidents, newest first; closed ones from the archive, a page at a time."""
    try:
        query = visibility_query(status, priority, service, team)
    except ValueError as error:
        fail(str(error), code=2)
    if status is Status.CLOSED:
        _list_closed(ClosedFilters(priority=priority, service=service, team=team), after, limit, as_json)
        return

    async def work() -> list[IncidentListing]:
        return await list_incidents(await connect_client(), query, limit)

    listings = run(work())
    typer.echo(output.listings_json(listings) if as_json else output.listings_table(listings))


def _list_closed(filters: ClosedFilters, after: str | None, limit: int, as_json: bool) -> None:
    archive = open_archive(load_settings())
    if archive is None:
        listings: list[IncidentListing] = []
        cursor = None
    else:
        page = run(asyncio.to_thread(archive.list_closed, filters, after, limit))
        listings, cursor = [archived_listing(entry) for entry in page.entries], page.next
    typer.echo(output.listings_json(listings) if as_json else output.listings_table(listings))
    if cursor is not None:
        typer.echo(f"next page: incidents list --status closed --after {cursor}", err=True)


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Words every match holds (title, description, notes, resolution).")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    as_json: Json = False,
) -> None:
    """Has this happened before? Closed incidents whose record holds every word, best match first."""
    archive = open_archive(load_settings())
    entries = run(asyncio.to_thread(archive.search, text, limit)) if archive is not None else []
    listings = [archived_listing(entry) for entry in entries]
    if as_json:
        typer.echo(output.listings_json(listings))
        return
    typer.echo(output.listings_table(listings))
    for entry in entries:
        typer.echo(f"  {entry.incident_id}: {entry.title}")


@app.command(name="worker")
def worker_command() -> None:
    """Run a worker: incident workflows and their activities, until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run(worker.run_until_stopped(load_settings()))


@app.command(name="api")
def api_command() -> None:
    """Serve the HTTP API (reports, Alertmanager and PagerDuty, responders, signed links) until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    if not settings.integrations and not settings.responder_tokens:
        typer.echo(
            "warning: no integrations or responder tokens are configured (INCIDENTS_INTEGRATIONS, "
            "INCIDENTS_RESPONDER_TOKENS); every request that needs credentials will be refused",
            err=True,
        )
    run(serve_until_stopped(settings))


@app.command(name="codec-server")
def codec_server_command(
    host: Annotated[str, typer.Option(help="The interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8081,
    ui_origin: Annotated[
        list[str] | None, typer.Option(metavar="URL", help=f"The Temporal UI's origin (default {DEFAULT_UI_ORIGIN}).")
    ] = None,
) -> None:
    """Serve /encode and /decode for the Temporal UI and CLI (--codec-endpoint), with INCIDENTS_ENCRYPTION_KEYS."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    try:
        codec = codec_from_settings(settings)
    except ConfigError as error:
        fail(str(error))
    if codec is None:
        fail("INCIDENTS_ENCRYPTION_KEYS is not set: payloads are not encrypted, there is nothing to decode")
    app_ = create_codec_app(codec, ui_origins=ui_origin or [DEFAULT_UI_ORIGIN], token=settings.codec_token)
    run(serve_codec(app_, host, port))


@app.command(name="check-catalog")
def check_catalog(path: Annotated[Path | None, typer.Argument(help="Default: INCIDENTS_CATALOG_PATH.")] = None) -> None:
    """Validate a service catalog file."""
    try:
        loaded = load_catalog(path or load_settings().catalog_path)
    except ConfigError as error:
        fail(str(error))
    typer.echo(f"ok: {loaded.version}")


@app.command()
def dev(
    data_dir: Annotated[Path, typer.Option(help="Where the server's SQLite file and the records are kept.")] = Path(
        "data"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="The Temporal frontend port.")] = 7233,
    ui_port: Annotated[int, typer.Option(min=1, max=65535, help="The Temporal UI port.")] = 8233,
    api_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="The HTTP API port (default: INCIDENTS_API_PORT or 8000).")
    ] = None,
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="Report four example incidents if none exist.")] = True,
) -> None:
    """Run a local Temporal dev server, a worker, the HTTP API and (first time) the demo incidents, until Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    options = DevOptions(
        data_dir=data_dir, port=port, ui_port=ui_port, demo=demo, api_port=api_port or settings.api_port
    )
    run(run_dev(options, settings))


app.command(name="replay")(replay_command)


app.command(name="stats")(stats_command)


app.command(name="oncall")(oncall_command)


app.add_typer(archive_app, name="archive")
app.add_typer(action_app, name="action")
app.command(name="review")(review_command)
app.command(name="close")(close_command)
app.command(name="repolicy")(repolicy_command)
app.command(name="update")(update_command)
app.command(name="subscribe")(subscribe_command)
app.command(name="export")(export_command)


def main() -> None:
    app()
