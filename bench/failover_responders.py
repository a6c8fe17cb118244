"""Responders acting while workers are killed: who acts when, and what each incident's record must show afterwards."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from bench.common import percentile
from domain.messages.actions import AcknowledgeRequest, ResolveRequest
from domain.policy.notification_retries import idempotency_key
from domain.views.record import IncidentRecord
from workflows.incident import IncidentWorkflow

RESPONDER = "amara"


ACTIONS = ("acknowledge by signal", "acknowledge by update", "resolve by signal", "resolve by update")


RESOLVE_EVERY = 5
"""Every fifth responder resolves the incident instead of acknowledging it."""


ACTION_TIMEOUT = 60.0


ACKNOWLEDGE = AcknowledgeRequest(by=RESPONDER)


RESOLVE = ResolveRequest(by=RESPONDER, summary="bench", root_cause="workers killed")


@dataclass
class ResponderAction:
    """A responder's action on one incident: which (``ACTIONS``), how long after the opening, when it was sent."""

    kind: str
    after: float
    """Seconds after the incident opened: between two of its due times."""
    sent: float | None = None
    """Wall clock just before the signal or update went out."""
    error: str | None = None

    @property
    def verb(self) -> str:
        return self.kind.partition(" by ")[0]


def plan_actions(count: int, share: float, delay: int, rng: random.Random) -> dict[int, ResponderAction]:
    """Which incidents (by number) a responder acts on, how, and when: a random moment between two due times.

    Every ``RESOLVE_EVERY``-th resolves, the others acknowledge; each verb alternates signal and update.
    """
    chosen = sorted(rng.sample(range(count), round(count * share)))
    made: Counter[str] = Counter()
    plan: dict[int, ResponderAction] = {}
    for order, number in enumerate(chosen):
        verb = "resolve" if order % RESOLVE_EVERY == RESOLVE_EVERY - 1 else "acknowledge"
        how = "signal" if made[verb] % 2 == 0 else "update"
        made[verb] += 1
        gap = rng.randrange(len(STEPS) - 1)  # between step ``gap`` and the next
        plan[number] = ResponderAction(f"{verb} by {how}", (gap + rng.random()) * delay)
    return plan


async def act(handle: WorkflowHandle[Any, Any], action: ResponderAction, opened: float) -> None:
    """Send ``action`` ``action.after`` s after ``opened`` (wall clock); an error is kept, not raised."""
    await asyncio.sleep(max(0.0, opened + action.after - time.time()))
    action.sent = time.time()
    try:
        match action.kind:
            case "acknowledge by signal":
                await handle.signal(IncidentWorkflow.acknowledge_signal, ACKNOWLEDGE)
            case "acknowledge by update":
                await asyncio.wait_for(handle.execute_update(IncidentWorkflow.acknowledge, ACKNOWLEDGE), ACTION_TIMEOUT)
            case "resolve by signal":
                await handle.signal(IncidentWorkflow.resolve_signal, RESOLVE)
            case "resolve by update":
                await asyncio.wait_for(handle.execute_update(IncidentWorkflow.resolve, RESOLVE), ACTION_TIMEOUT)
    except Exception as error:  # kept, and reported with the figures
        action.error = f"{type(error).__name__}: {error}"


@dataclass
class Audit:
    """What one incident was owed and got, by page key; for one a responder acted on, around the action."""

    owed: set[str] = field(default_factory=set)
    """Keys of the pages due before the action was sent (all of them when nobody acted)."""
    on_record: set[str] = field(default_factory=set)
    """Owed keys whose level is on the record's escalations (the final owner: ``escalation_exhausted``)."""
    applied: float | None = None
    """Workflow time of the action's timeline entry; None when nobody acted or it never was applied."""
    caught_up: int = 0
    """Owed, but on the timeline only at or after the moment the action was sent: applied first on its arrival."""
    after_sent: int = 0
    """Due after the action was sent, paged all the same: it was applied later (allowed)."""
    after_applied: int = 0
    """Due after the action was applied, paged all the same (none may be)."""
    out_of_order: int = 0
    """Due before the action was applied, yet not on the timeline before the action's entry (none may be)."""


def audit(record: IncidentRecord, action: ResponderAction | None, delay: int, arrived: dict[str, float]) -> Audit:
    result = Audit()
    timeline = record.timeline
    escalations = {escalation.index: escalation for escalation in record.escalations}
    paged_entry: dict[int, int] = {}  # step number → position of its entry on the timeline
    for position, entry in enumerate(timeline):
        index = entry.data.get("index")
        if entry.kind == "escalation.level_paged" and isinstance(index, int):
            paged_entry.setdefault(index, position)
        elif entry.kind == "escalation.exhausted":
            paged_entry.setdefault(len(STEPS) - 1, position)
    action_entry: int | None = None
    if action is not None:
        kind = "incident.acknowledged" if action.verb == "acknowledge" else "incident.resolved"
        found = (n for n, entry in enumerate(timeline) if entry.kind == kind and entry.actor == RESPONDER)
        action_entry = next(found, None)
        if action_entry is not None:
            result.applied = timeline[action_entry].at.timestamp()
    sent = action.sent if action is not None else None
    for number, step in enumerate(STEPS):
        key = idempotency_key(record.incident_id, step, "webhook")
        escalation = escalations.get(number)
        due = (escalation.due if escalation else record.opened_at + timedelta(seconds=delay * number)).timestamp()
        on_record = escalation is not None if number < len(STEPS) - 1 else record.escalation_exhausted
        paged = on_record or key in arrived
        place = paged_entry.get(number)
        if sent is None or due < sent:
            result.owed.add(key)
            if on_record:
                result.on_record.add(key)
            if sent is not None and place is not None and timeline[place].at.timestamp() >= sent:
                result.caught_up += 1
        elif paged:
            result.after_sent += 1
        if result.applied is None or action_entry is None:
            continue
        if due <= result.applied and (place is None or place > action_entry):
            result.out_of_order += 1
        elif due > result.applied and paged:
            result.after_applied += 1
    return result


def failures(done: list[tuple[ResponderAction, Audit]]) -> int:
    """Actions that raised, or that never reached the incident's timeline (a refused signal)."""
    return sum(1 for action, audit in done if action.error is not None or audit.applied is None)


def action_row(name: str, done: list[tuple[ResponderAction, Audit]]) -> list[object]:
    """Actions of one kind: how many, failed (or never applied), applied − sent, and what was paged around them."""
    waits = [audit.applied - action.sent for action, audit in done if audit.applied is not None and action.sent]
    return [
        name,
        len(done),
        failures(done),
        f"{percentile(waits, 50):.2f} / {max(waits):.2f}" if waits else "–",
        sum(len(audit.owed) for _, audit in done),
        sum(audit.caught_up for _, audit in done),
        sum(audit.after_sent for _, audit in done),
        sum(audit.after_applied for _, audit in done),
        sum(audit.out_of_order for _, audit in done),
    ]


PASSES = 2


LEVELS = 3


TIMER_PAGES = [*(f"page-{n}" for n in range(1, PASSES * LEVELS)), "exhausted"]
"""What a timer makes due, in order, one ``--delay`` apart after page-0 (paged at once)."""


STEPS = ["page-0", *TIMER_PAGES]
"""Every page of an incident nobody acts on: step n falls due n × ``--delay`` after the incident opened."""
