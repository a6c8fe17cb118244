"""After the page: the post-incident review, action items, and the closure gate.

When an incident whose policy requires a review (``ReviewRule``: P1 and P2 by default) is resolved, its review opens
with the sections of ``domain.models.ReviewSection``; the resolver's root cause is the first draft of its
``root_cause`` (a placeholder such as ``not recorded: resolved by monitoring`` is not). Action items have an owner and
a due date; the owner is reminded when one falls due and every ``budget.ACTION_REMIND_EVERY`` while it is overdue.

The incident closes once its reopen window has passed, its required review is complete and every action item is
done or deferred; ``close`` closes it earlier where the policy allows (``ReviewRule.early_close``), and otherwise is
refused with the list of what is missing.
"""

from __future__ import annotations

from datetime import datetime

from domain.errors import InvalidAction, LimitReached, UnknownResponder
from domain.incident import budget
from domain.incident._actors import responder_active, taken_over
from domain.incident._paging import queue
from domain.incident._state import IncidentState
from domain.incident._timeline import ActionItem, Review
from domain.incident._transitions import Action
from domain.models import ReviewSection, as_utc

PLACEHOLDER = "not recorded:"
"""How a root cause that nobody wrote begins (resolved by monitoring, from a signed link)."""


def open_review(state: IncidentState, now: datetime) -> None:
    """At the first resolution, when the policy requires a review for the incident's priority."""
    rule = state.route.policy.review if state.route is not None else None
    if rule is None or state.priority not in rule.priorities or state.review is not None:
        return
    draft = state.root_cause or ""
    sections = {ReviewSection.ROOT_CAUSE: draft} if draft and not draft.startswith(PLACEHOLDER) else {}
    state.review = Review(opened_at=now, required=list(rule.required), sections=sections)
    required = ", ".join(section.value for section in rule.required) or "none"
    state.record(now, "review.opened", f"post-incident review opened; required sections: {required}")


def _check_open(state: IncidentState, by: str, action: Action) -> None:
    state.check(action, by)
    if state.review is None:
        raise InvalidAction("there is no review: the incident is not resolved yet, or its policy requires none")
    if state.review.completed_at is not None:
        raise InvalidAction(
            f"the review was completed by {state.review.completed_by} at {as_utc(state.review.completed_at)}"
        )


def check_review_edit(state: IncidentState, by: str) -> None:
    _check_open(state, by, Action.REVIEW)


def edit_review(state: IncidentState, by: str, section: ReviewSection, text: str, now: datetime) -> None:
    check_review_edit(state, by)
    assert state.review is not None
    taken_over(state, by)
    responder_active(state, by, now)
    state.review.sections[section] = text
    state.record(now, "review.edited", f"review section {section.value} written by {by}", actor=by, section=section)


def check_review_complete(state: IncidentState, by: str) -> None:
    _check_open(state, by, Action.REVIEW)
    assert state.review is not None
    empty = state.review.empty_required()
    if empty:
        names = ", ".join(section.value for section in empty)
        raise InvalidAction(f"cannot complete the review: required sections still empty: {names}")


def complete_review(state: IncidentState, by: str, now: datetime) -> None:
    check_review_complete(state, by)
    assert state.review is not None
    state.review.completed_at, state.review.completed_by = now, by
    state.record(now, "review.completed", f"review completed by {by}", actor=by)


def check_action_add(state: IncidentState, by: str, owner: str, due: datetime, now: datetime) -> None:
    state.check(Action.ACTION_ITEM, by)
    if state.route is not None and owner not in state.route.responders:
        raise UnknownResponder(f"cannot add the action item: its owner {owner!r} is not a user in the catalog")
    if due <= now:
        raise InvalidAction(f"cannot add the action item: its due date {as_utc(due)} is not in the future")
    if len(state.actions) >= budget.MAX_ACTION_ITEMS:
        raise LimitReached(f"cannot add the action item: the incident holds {len(state.actions)}, the most it keeps")


def add_action(state: IncidentState, by: str, owner: str, due: datetime, text: str, now: datetime) -> ActionItem:
    check_action_add(state, by, owner, due, now)
    taken_over(state, by)
    responder_active(state, by, now)
    item = ActionItem(number=len(state.actions) + 1, text=text, owner=owner, due=due, added_by=by, added_at=now)
    state.actions.append(item)
    state.record(
        now,
        "action.added",
        f"action item {item.number} for {owner}, due {as_utc(due)}: {text}",
        actor=by,
        number=item.number,
        owner=owner,
    )
    if owner != by:
        queue(state, f"action-{item.number}", "action_item", [owner], f"action item {item.number} for you: {text}")
    return item


def check_action_close(state: IncidentState, by: str, number: int) -> ActionItem:
    state.check(Action.ACTION_ITEM, by)
    if not 1 <= number <= len(state.actions):
        raise InvalidAction(f"there is no action item {number}: the incident has {len(state.actions)}")
    item = state.actions[number - 1]
    if item.state != "open":
        raise InvalidAction(f"action item {number} is already {item.state}")
    return item


def finish_action(state: IncidentState, by: str, number: int, reason: str | None, now: datetime) -> None:
    """Done (``reason`` None) or deferred with ``reason``."""
    item = check_action_close(state, by, number)
    taken_over(state, by)
    responder_active(state, by, now)
    item.state = "done" if reason is None else "deferred"
    item.closed_at, item.closed_by, item.reason = now, by, reason
    why = f": {reason}" if reason is not None else ""
    state.record(
        now, f"action.{item.state}", f"action item {number} {item.state} by {by}{why}", actor=by, number=number
    )


def action_reminder_due(state: IncidentState, now: datetime) -> tuple[ActionItem, datetime] | None:
    found = state.next_action_reminder()
    return found if found is not None and found[1] <= now else None


def remind_owner(state: IncidentState, item: ActionItem, due: datetime, now: datetime) -> None:
    item.reminders += 1
    late = "falls due now" if item.reminders == 1 else f"is overdue since {as_utc(item.due)}"
    state.record(
        now,
        "action.reminder",
        f"action item {item.number} {late}: reminded {item.owner}",
        number=item.number,
        due=due.isoformat(),
    )
    queue(
        state,
        f"action-{item.number}-reminder-{item.reminders}",
        "action_reminder",
        [item.owner],
        f"action item {item.number} {late}: {item.text}",
    )


def closure_missing(state: IncidentState) -> list[str]:
    """What keeps the resolved incident from closing, besides its reopen window."""
    missing = []
    review = state.review
    if review is not None and review.completed_at is None:
        empty = review.empty_required()
        what = f"sections still empty: {', '.join(s.value for s in empty)}" if empty else "not completed"
        missing.append(f"the review ({what})")
    missing += [
        f"action item {item.number} ({item.owner}, due {as_utc(item.due)})"
        for item in state.actions
        if item.state == "open"
    ]
    return missing


def check_close(state: IncidentState, by: str, now: datetime) -> None:
    state.check(Action.CLOSE, by)
    if state.closing_by is not None:
        raise InvalidAction(f"the incident is already closing (closed by {state.closing_by})")
    missing = closure_missing(state)
    rule = state.route.policy.review if state.route is not None else None
    if missing and not (rule is not None and rule.early_close):
        raise InvalidAction(f"cannot close: still open: {'; '.join(missing)}")


def close_by_hand(state: IncidentState, by: str, now: datetime) -> None:
    check_close(state, by, now)
    missing = closure_missing(state)
    state.closing_by = by
    early = f", before {'; '.join(missing)}" if missing else ""
    state.record(now, "incident.close_requested", f"closed by {by}{early}", actor=by)


def gate_open(state: IncidentState) -> bool:
    """Nothing keeps the resolved incident open any more (its reopen window aside), or someone closed it by hand."""
    return state.closing_by is not None or not closure_missing(state)
