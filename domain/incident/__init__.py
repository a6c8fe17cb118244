"""The incident core: one incident's state and the rules that change it, each a function of the state and the time.

The workflow, the activities and the edges import this facade only. Inside, imports run one way (import-linter
checks it): ``_timeline`` and ``_transitions`` (what an incident keeps, its status table) and ``budget`` (its size
bounds) at the bottom; ``_state`` (the state and the questions it answers, changing nothing but its timeline and
outbox) above them; then the rules: ``_actors``, ``_paging`` (levels, SLA checkpoints, pages), ``_pausing``
(reminders, snoozes, maintenance windows), ``_on_call`` (levels that wait for schedules) and ``_roles`` (commander,
scribe, communications lead), ``_timers`` (the passage
of time), ``_actions`` (opening, classification, responders, closing) and ``_reopening`` (the reopen window), and
``_folding`` (triggers) on top.
"""

from domain.incident import budget
from domain.incident._actions import (
    acknowledge,
    add_note,
    classify,
    close_incident,
    escalate,
    page_first_level,
    reassign,
    record_opening,
    record_rejected,
    repolicy,
    resolve,
    set_priority,
)
from domain.incident._folding import (
    AUTO_RESOLVE_ROOT_CAUSE,
    check_trigger,
    fold_trigger,
    only_resolves,
    reopen_by_trigger,
)
from domain.incident._on_call import record_on_call
from domain.incident._paging import record_attempt
from domain.incident._pausing import hold_for_maintenance, snooze
from domain.incident._reopening import can_reopen, open_reopen_window, reopen
from domain.incident._review import (
    add_action,
    check_action_add,
    check_action_close,
    check_close,
    check_review_complete,
    check_review_edit,
    close_by_hand,
    closure_missing,
    complete_review,
    edit_review,
    finish_action,
    gate_open,
)
from domain.incident._roles import assign_role
from domain.incident._state import SYSTEM_ACTOR_PREFIX, IncidentState, is_system_actor
from domain.incident._timeline import (
    ActionItem,
    Delivery,
    Escalation,
    Page,
    Reopen,
    Review,
    StatusUpdate,
    TimelineData,
    TimelineEntry,
)
from domain.incident._timers import advance
from domain.incident._transitions import TRANSITIONS, Action, next_status
from domain.incident._updates import check_subscribe, check_update, post_update, stakeholders, subscribe

__all__ = [
    "AUTO_RESOLVE_ROOT_CAUSE",
    "SYSTEM_ACTOR_PREFIX",
    "TRANSITIONS",
    "Action",
    "ActionItem",
    "Delivery",
    "Escalation",
    "IncidentState",
    "Page",
    "Reopen",
    "Review",
    "StatusUpdate",
    "TimelineData",
    "TimelineEntry",
    "acknowledge",
    "add_action",
    "add_note",
    "advance",
    "assign_role",
    "budget",
    "can_reopen",
    "check_action_add",
    "check_action_close",
    "check_close",
    "check_review_complete",
    "check_review_edit",
    "check_subscribe",
    "check_trigger",
    "check_update",
    "classify",
    "close_by_hand",
    "close_incident",
    "closure_missing",
    "complete_review",
    "edit_review",
    "escalate",
    "finish_action",
    "fold_trigger",
    "gate_open",
    "hold_for_maintenance",
    "is_system_actor",
    "next_status",
    "only_resolves",
    "open_reopen_window",
    "page_first_level",
    "post_update",
    "reassign",
    "record_attempt",
    "record_on_call",
    "record_opening",
    "record_rejected",
    "reopen",
    "reopen_by_trigger",
    "repolicy",
    "resolve",
    "set_priority",
    "snooze",
    "stakeholders",
    "subscribe",
]
