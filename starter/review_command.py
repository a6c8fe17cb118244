"""After the page, from the command line: the post-incident review, action items, and closing by hand.

incidents review ID                                  the review, the action items and what keeps it open
incidents review ID --section lessons --text … --by U
incidents review ID --complete --by U
incidents action add ID --owner U --due 2026-12-20 --text … --by U
incidents action done ID N --by U
incidents action defer ID N --reason … --by U
incidents close ID --by U
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer

from adapters.incident_client import get_status
from domain.messages.actions import (
    ActionAddRequest,
    ActionDeferRequest,
    ActionDoneRequest,
    CloseByHandRequest,
    CompleteReviewRequest,
    RepolicyRequest,
    ReviewRequest,
    StatusUpdateRequest,
    SubscribeRequest,
)
from domain.models import ReviewSection, UpdateState, as_utc
from domain.views.record import IncidentStatusView
from starter.acting import By, IncidentId, Json, Wait, act_and_print, connect_client
from starter.console import fail, run, validated
from workflows.incident import IncidentWorkflow

action_app = typer.Typer(help="Action items: follow-up work with an owner and a due date.", no_args_is_help=True)

Number = Annotated[int, typer.Argument(metavar="N", min=1, help="The action item's number (incidents review ID).")]


def review_command(
    incident_id: IncidentId,
    section: Annotated[ReviewSection | None, typer.Option(help="The section to write.")] = None,
    text: Annotated[str | None, typer.Option(help="The section's text (with --section).")] = None,
    complete: Annotated[bool, typer.Option("--complete", help="Complete the review.")] = False,
    by: Annotated[str | None, typer.Option("--by", help="The responder acting (to edit or complete).")] = None,
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Show the post-incident review, write one of its sections, or complete it."""
    if section is None and text is None and not complete:
        show(incident_id, as_json, wait)
        return
    if by is None:
        fail("--by is required to edit or complete the review", code=2)
    if complete:
        if section is not None or text is not None:
            fail("--complete takes no --section or --text", code=2)
        act_and_print(
            incident_id, IncidentWorkflow.complete_review, validated(CompleteReviewRequest, {"by": by}), as_json, wait
        )
        return
    if section is None or text is None:
        fail("--section and --text go together", code=2)
    request = validated(ReviewRequest, {"by": by, "section": section, "text": text})
    act_and_print(incident_id, IncidentWorkflow.edit_review, request, as_json, wait)


def show(incident_id: str, as_json: bool, wait: float) -> None:
    async def work() -> IncidentStatusView:
        return await asyncio.wait_for(get_status(await connect_client(), incident_id), wait)

    view = run(work())
    if as_json:
        typer.echo(
            view.model_dump_json(include={"incident_id", "status", "review", "actions", "closing_needs"}, indent=2)
        )
        return
    typer.echo(review_text(view))


def review_text(view: IncidentStatusView) -> str:
    lines = [f"{view.incident_id} {view.status.value}"]
    review = view.review
    if review is None:
        lines.append("review:   none (not resolved yet, or its policy requires none)")
    else:
        done = f"completed {as_utc(review.completed_at)} by {review.completed_by}" if review.completed_at else "open"
        lines.append(f"review:   {done}")
        for name in ReviewSection:
            required = "*" if name in review.required else " "
            lines.append(f"  {required} {name.value:<16} {review.sections.get(name) or '—'}")
    for item in view.actions:
        extra = f" ({item.reason})" if item.reason else ""
        lines.append(f"action {item.number}: {item.state}{extra}, {item.owner}, due {as_utc(item.due)}: {item.text}")
    if view.closing_needs:
        lines.append(f"closes once: {'; '.join(view.closing_needs)}")
    return "\n".join(lines)


def parse_due(text: str) -> datetime:
    """An ISO 8601 date or time; without a zone it is UTC, a bare date is midnight UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"--due: {text!r} is not an ISO 8601 date or time, e.g. 2026-12-20 or 2026-12-20T09:00:00Z", code=2)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@action_app.command("add")
def action_add(
    incident_id: IncidentId,
    owner: Annotated[str, typer.Option(help="Who does it (a user id).")],
    due: Annotated[str, typer.Option(metavar="ISO-TIME", help="When it is due, e.g. 2026-12-20.")],
    text: Annotated[str, typer.Option(help="What is to be done.")],
    by: By,
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Add an action item; its owner is reminded when it falls due, then daily while it is overdue."""
    request = validated(ActionAddRequest, {"by": by, "owner": owner, "due": parse_due(due), "text": text})
    act_and_print(incident_id, IncidentWorkflow.add_action, request, as_json, wait)


@action_app.command("done")
def action_done(incident_id: IncidentId, number: Number, by: By, as_json: Json = False, wait: Wait = 30.0) -> None:
    """Mark an action item done."""
    request = validated(ActionDoneRequest, {"by": by, "number": number})
    act_and_print(incident_id, IncidentWorkflow.action_done, request, as_json, wait)


@action_app.command("defer")
def action_defer(
    incident_id: IncidentId,
    number: Number,
    reason: Annotated[str, typer.Option(help="Why it waits.")],
    by: By,
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Defer an action item, with the reason: it no longer keeps the incident open."""
    request = validated(ActionDeferRequest, {"by": by, "number": number, "reason": reason})
    act_and_print(incident_id, IncidentWorkflow.action_defer, request, as_json, wait)


def close_command(incident_id: IncidentId, by: By, as_json: Json = False, wait: Wait = 30.0) -> None:
    """Close a resolved incident now: once its review and action items are done (its reopen window is cut short),
    or earlier where its policy allows; otherwise refused with what is missing."""
    act_and_print(incident_id, IncidentWorkflow.close, validated(CloseByHandRequest, {"by": by}), as_json, wait)


def repolicy_command(incident_id: IncidentId, by: By, as_json: Json = False, wait: Wait = 30.0) -> None:
    """Move an open incident to the policy and SLA of the catalog the workers run now (it keeps the ones it was
    classified with until then); both versions go on the timeline."""
    act_and_print(incident_id, IncidentWorkflow.repolicy, validated(RepolicyRequest, {"by": by}), as_json, wait)


def update_command(
    incident_id: IncidentId,
    state: Annotated[UpdateState, typer.Option(help="investigating, identified or monitoring.")],
    message: Annotated[str, typer.Option(help="Where the response stands, for stakeholders.")],
    by: By,
    as_json: Json = False,
    wait: Wait = 30.0,
) -> None:
    """Post a status update: the service's subscribers and everyone subscribed are told through the channels."""
    request = validated(StatusUpdateRequest, {"by": by, "state": state, "message": message})
    act_and_print(incident_id, IncidentWorkflow.post_update, request, as_json, wait)


def subscribe_command(incident_id: IncidentId, by: By, as_json: Json = False, wait: Wait = 30.0) -> None:
    """Subscribe to the incident's status updates."""
    act_and_print(incident_id, IncidentWorkflow.subscribe, validated(SubscribeRequest, {"by": by}), as_json, wait)
