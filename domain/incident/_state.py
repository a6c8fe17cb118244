"""One incident's state and the questions it answers about itself. Nothing here changes the incident but its two
primitives: ``record`` (a timeline entry, kept within the size budget) and ``take_outbox`` (the pages to send).

The rules that change it are functions of the state in the modules above this one (``domain.incident``'s facade
lists them); every one takes the current time as an argument. Nothing here does I/O, so the same code runs in the
workflow, in tests and in replay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from domain.errors import InvalidAction, LimitReached, UnknownResponder
from domain.incident import budget
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
from domain.incident._transitions import Action, next_status
from domain.models import IncidentReport, Priority, Role, Status, as_utc
from domain.policy.catalog import Route, recipients
from domain.policy.escalation import EscalationStep, step_at
from domain.policy.maintenance import MaintenanceWindow
from domain.policy.priority import PriorityDecision
from domain.policy.schedules import OnCallQuestion
from domain.policy.sla import Clock, SlaCheckpoint, deadline, pending_checkpoints
from domain.policy.snooze import Snooze, snooze_refusal

SYSTEM_ACTOR_PREFIX = "monitoring:"


def is_system_actor(actor: str) -> bool:
    """Monitoring acts on incidents as ``monitoring:<integration>``; it is no user of the catalog."""
    return actor.startswith(SYSTEM_ACTOR_PREFIX) and len(actor) > len(SYSTEM_ACTOR_PREFIX)


class IncidentState(BaseModel):
    incident_id: str
    report: IncidentReport
    opened_at: datetime
    status: Status = Status.TRIGGERED
    decision: PriorityDecision | None = None
    route: Route | None = None
    assignee: str | None = None
    escalation_index: int = -1
    level_paged_at: datetime | None = None
    exhausted: bool = False
    escalations: list[Escalation] = Field(default_factory=list)
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution_summary: str | None = None
    root_cause: str | None = None
    closed_at: datetime | None = None
    sla_fired: list[str] = Field(default_factory=list)
    outbox: list[Page] = Field(default_factory=list)
    pages_sent: int = 0
    deliveries: list[Delivery] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    """The notification channels the worker offered at classification."""
    triggers: int = 0
    last_trigger_at: datetime | None = None
    latest_payload: dict[str, Any] = Field(default_factory=dict)
    alerts: dict[str, bool] = Field(default_factory=dict)
    """Alert fingerprint → still firing, for incidents fed by a monitoring group."""
    taken_over_by: str | None = None
    """The first person who acted on the incident; monitoring no longer resolves it on its own after that."""
    last_activity_at: datetime | None = None
    """The last responder action; an acknowledgement timeout counts from it."""
    reminded_at: datetime | None = None
    """When the reminder for the quiet since ``last_activity_at`` fell due; None until it has."""
    reminders: int = 0
    snoozes: list[Snooze] = Field(default_factory=list)
    maintenance: MaintenanceWindow | None = None
    """The maintenance window the incident opened in: nothing pages until it ends."""
    maintenance_ended_at: datetime | None = None
    """When paging resumed: the window's end, or a manual escalation during it."""
    reopen_until: datetime | None = None
    """While resolved: the end of the policy's reopen window, after which it closes; None outside that window (and
    for incidents resolved by versions without one)."""
    reopens: list[Reopen] = Field(default_factory=list)
    roles: dict[Role, str] = Field(default_factory=dict)
    """Who holds each role now; every assignment and hand-over is on the timeline."""
    review: Review | None = None
    """The post-incident review, opened at the first resolution when the policy requires one."""
    actions: list[ActionItem] = Field(default_factory=list)
    closing_by: str | None = None
    """Who closed it by hand (``incidents close``): it closes now, whatever of the window and the gate is left."""
    updates: list[StatusUpdate] = Field(default_factory=list)
    subscribers: list[str] = Field(default_factory=list)
    """People who subscribed themselves to the incident's status updates."""
    update_reminded_at: datetime | None = None
    """When the last reminder to post a status update fell due."""
    update_reminders: int = 0
    commander_paged_at: datetime | None = None
    """When the policy's commander targets were paged because nobody had taken the role in time."""
    awaiting_on_call: OnCallQuestion | None = None
    """A level that targets schedules, paged once the workflow learns who is on call there (``record_on_call``)."""
    timeline: list[TimelineEntry] = Field(default_factory=list)
    timeline_total: int | None = None
    """Entries ever recorded, folded ones included (None in states from before the size budget: the timeline's
    length then)."""
    escalations_compacted: dict[int, int] = Field(default_factory=dict)
    """Escalation index → times paged, for escalations no longer kept in full (``domain.incident.budget``)."""
    earlier_recipients: list[str] = Field(default_factory=list)
    """Everyone paged by the escalations no longer kept in full: they are told of the resolution too."""
    deliveries_compacted: int = 0
    snoozes_compacted: int = 0
    untracked_alerts: int = 0
    """Alert states reported for fingerprints past ``budget.MAX_TRACKED_ALERTS``: counted, not tracked."""
    alert_entries: int = 0
    """Alert changes recorded on the timeline one by one; past ``budget.MAX_ALERT_ENTRIES`` each fold has one."""

    _timeline_sizes: list[int] = PrivateAttr(default_factory=list)
    _timeline_bytes: int = PrivateAttr(default=0)

    def model_post_init(self, context: Any, /) -> None:
        if self.timeline_total is None:
            self.timeline_total = len(self.timeline)
        self._timeline_sizes = [budget.entry_size(entry) for entry in self.timeline]
        self._timeline_bytes = sum(self._timeline_sizes)

    # ---- reading -------------------------------------------------------------------------------

    @property
    def priority(self) -> Priority | None:
        return self.decision.priority if self.decision is not None else None

    @property
    def current_step(self) -> EscalationStep | None:
        if self.route is None:
            return None
        return step_at(self.route.policy, self.escalation_index)

    @property
    def current_recipients(self) -> list[str]:
        step = self.current_step
        if step is None or self.route is None:
            return []
        latest = self.escalations[-1] if self.escalations else None
        if latest is not None and latest.index == self.escalation_index:
            return list(latest.recipients)  # who was on call when it was paged, or the final owner for nobody
        return recipients(step.targets, self.route.team_members)

    def paused(self) -> dict[Clock, timedelta]:
        """How long each clock was paused: the resolve clock for as long as a reopened incident was resolved."""
        resolved = sum((reopen.at - reopen.resolved_at for reopen in self.reopens), timedelta())
        return {Clock.RESOLVE: resolved} if resolved else {}

    def sla_deadline(self, clock: Clock) -> datetime | None:
        if self.route is None or self.priority is None:
            return None
        return deadline(self.route.sla[self.priority], clock, self.opened_at) + self.paused().get(clock, timedelta())

    def clock_stopped_at(self, clock: Clock) -> datetime | None:
        """Acknowledging stops the acknowledge clock; the first resolution stops both (a resolution is a response);
        reopening runs the resolve clock again until the next one."""
        if clock is Clock.ACKNOWLEDGE:
            first_resolution = self.reopens[0].resolved_at if self.reopens else self.resolved_at
            return self.acknowledged_at or first_resolution
        return self.resolved_at

    def running_clocks(self) -> set[Clock]:
        return {clock for clock in Clock if self.clock_stopped_at(clock) is None}

    def breached_clocks(self, now: datetime) -> list[Clock]:
        """Clocks whose deadline passed before they stopped (or that are still running past it)."""
        breached = []
        for clock in Clock:
            due = self.sla_deadline(clock)
            stopped = self.clock_stopped_at(clock) or now
            if due is not None and stopped > due:
                breached.append(clock)
        return breached

    def next_escalation_at(self) -> datetime | None:
        step = self.current_step
        if self.status is not Status.TRIGGERED or self.exhausted or step is None or self.level_paged_at is None:
            return None
        return self.level_paged_at + step.delay

    def pending_sla(self) -> list[SlaCheckpoint]:
        if self.route is None or self.priority is None or self.status in (Status.RESOLVED, Status.CLOSED):
            return []
        targets = self.route.sla[self.priority]
        return pending_checkpoints(targets, self.opened_at, self.running_clocks(), set(self.sla_fired), self.paused())

    def commander_due(self) -> datetime | None:
        """When the policy's commander targets are paged if nobody takes the role before; None when not needed."""
        rule = self.route.policy.commander if self.route is not None else None
        if rule is None or self.priority not in rule.priorities or self.commander_paged_at is not None:
            return None
        if Role.COMMANDER in self.roles or self.status not in (Status.TRIGGERED, Status.ACKNOWLEDGED):
            return None
        return self.opened_at + rule.within

    def next_action_reminder(self) -> tuple[ActionItem, datetime] | None:
        """The open action item whose owner is reminded next, and when (at its due date, then daily)."""
        if self.status is Status.CLOSED:
            return None
        moments = [
            (item.due + budget.ACTION_REMIND_EVERY * item.reminders, item.number)
            for item in self.actions
            if item.state == "open" and item.reminders < budget.MAX_ACTION_REMINDERS
        ]
        if not moments:
            return None
        at, number = min(moments)
        return self.actions[number - 1], at

    def auto_resolve_at(self) -> datetime | None:
        """When the policy's ``auto_resolve_after`` resolves the incident if nobody acts and no alert fires."""
        after = self.route.policy.auto_resolve_after if self.route is not None else None
        if after is None or self.status not in (Status.TRIGGERED, Status.ACKNOWLEDGED) or any(self.alerts.values()):
            return None
        moments = [m for m in (self.opened_at, self.last_activity_at, self.last_trigger_at) if m is not None]
        return max(moments) + after

    def next_update_reminder_at(self) -> datetime | None:
        """When whoever leads the incident is reminded to post a status update (the policy's ``update_every``)."""
        every = self.route.policy.update_every if self.route is not None and self.priority is not None else {}
        interval = every.get(self.priority) if self.priority is not None else None
        if interval is None or self.status not in (Status.TRIGGERED, Status.ACKNOWLEDGED):
            return None
        last = self.updates[-1].at if self.updates else None
        return max(m for m in (self.opened_at, last, self.update_reminded_at) if m is not None) + interval

    def next_wake(self) -> datetime | None:
        """When the incident next needs attention if nobody acts: an escalation, an SLA checkpoint, a pause event, a
        missing commander or an action item's reminder."""
        moments = [
            m for m in (self.next_escalation_at(), self.next_pause_event_at(), self.commander_due()) if m is not None
        ]
        reminder = self.next_action_reminder()
        if reminder is not None:
            moments.append(reminder[1])
        auto_resolve = self.auto_resolve_at()
        if auto_resolve is not None:
            moments.append(auto_resolve)
        update_due = self.next_update_reminder_at()
        if update_due is not None:
            moments.append(update_due)
        pending = self.pending_sla()
        if pending:
            moments.append(pending[0].at)
        return min(moments) if moments else None

    # ---- the timeline and the outbox: the primitives every rule uses ----------------------------

    def record(self, now: datetime, kind: str, message: str, actor: str | None = None, **data: object) -> None:
        clean: TimelineData = {
            k: v if isinstance(v, str | int | bool) or v is None else str(v) for k, v in data.items()
        }
        entry = TimelineEntry(at=now, kind=kind, message=message, actor=actor, data=clean)
        self.timeline.append(entry)
        self.timeline_total = (self.timeline_total or 0) + 1
        size = budget.entry_size(entry)
        self._timeline_sizes.append(size)
        self._timeline_bytes += size
        if self._timeline_bytes > budget.TIMELINE_BUDGET_BYTES:
            self._compact_timeline()

    def _compact_timeline(self) -> None:
        previous = next((entry for entry in self.timeline if entry.kind == budget.COMPACTED), None)
        self.timeline, self._timeline_sizes, _ = budget.fold_entries(
            self.timeline, self._timeline_sizes, budget.TIMELINE_COMPACT_TO, previous
        )
        self._timeline_bytes = sum(self._timeline_sizes)

    @property
    def notes(self) -> list[TimelineEntry]:
        return [entry for entry in self.timeline if entry.kind == "note.added"]

    def take_outbox(self) -> list[Page]:
        pages, self.outbox = self.outbox, []
        self.pages_sent += len(pages)
        return pages

    # ---- what an action would do: the status it leads to, or the DomainError that refuses it ----

    def check(self, action: Action, by: str, *, to: str | None = None, priority: Priority | None = None) -> Status:
        """The status ``action`` leads to, or the DomainError that refuses it. Changes nothing."""
        if self.route is not None and by not in self.route.responders and not is_system_actor(by):
            raise UnknownResponder(f"unknown responder {by!r}: not a user in the catalog")
        status = next_status(self.status, action, snoozed=self.active_snooze is not None)
        if action is Action.ESCALATE:
            if self.route is None:
                raise InvalidAction("cannot escalate: the incident is not classified yet")
            if step_at(self.route.policy, self.escalation_index + 1) is None:
                raise InvalidAction("cannot escalate: there is no further level on the escalation path")
        if action is Action.REASSIGN:
            if self.route is not None and to not in self.route.responders:
                raise UnknownResponder(f"cannot reassign to unknown responder {to!r}")
            if to == self.assignee:
                raise InvalidAction(f"cannot reassign: {to} is already the assignee")
        if action is Action.SET_PRIORITY:
            if self.decision is None:
                raise InvalidAction("cannot set the priority: the incident is not classified yet")
            if priority == self.priority:
                raise InvalidAction(f"cannot set the priority: it is already {self.priority}")
        return status

    def check_reopen(self, by: str, now: datetime) -> Status:
        """``check`` for reopening: only within the reopen window, and at most ``budget.MAX_REOPENS`` times."""
        status = self.check(Action.REOPEN, by)
        if self.reopen_until is None:
            raise InvalidAction("cannot reopen: the incident is closing (its policy has no reopen window)")
        if now >= self.reopen_until:
            raise InvalidAction(f"cannot reopen: its reopen window ended at {as_utc(self.reopen_until)}")
        if len(self.reopens) >= budget.MAX_REOPENS:
            raise LimitReached(
                f"cannot reopen: the incident was reopened {len(self.reopens)} times, the most it takes; "
                "report a new incident"
            )
        return status

    def check_role(self, by: str, role: Role, user: str) -> Status:
        """``check`` for giving ``role`` to ``user``: a user of the catalog who does not hold it already."""
        status = self.check(Action.ASSIGN_ROLE, by)
        if self.route is not None and user not in self.route.responders:
            raise UnknownResponder(f"cannot make {user!r} the {role.value}: not a user in the catalog")
        if self.roles.get(role) == user:
            raise InvalidAction(f"cannot assign the role: {user} is already the {role.value}")
        return status

    def check_note(self, by: str, text: str) -> Status:
        """``check`` for a note, and the size budget's bounds on notes (``domain.incident.budget``)."""
        status = self.check(Action.ADD_NOTE, by)
        notes = self.notes
        if len(notes) >= budget.MAX_NOTES:
            raise LimitReached(f"cannot add the note: the incident holds {len(notes)} notes, the most it keeps")
        mine = sum(1 for note in notes if note.actor == by)
        if mine >= budget.MAX_NOTES_PER_AUTHOR:
            raise LimitReached(f"cannot add the note: {by} has written {mine} notes here, the most one person may")
        held = sum(budget.utf8_size(note.message) for note in notes)
        if held + budget.utf8_size(text) > budget.MAX_NOTE_BYTES:
            raise LimitReached(
                f"cannot add the note: the incident's notes would hold {held + budget.utf8_size(text)} bytes of "
                f"text, more than the {budget.MAX_NOTE_BYTES} it keeps ({held} used)"
            )
        return status

    def check_snooze(self, by: str, duration: timedelta) -> Status:
        """The status a snooze of ``duration`` leads to, or the DomainError that refuses it."""
        status = self.check(Action.SNOOZE, by)
        if self.route is None:
            raise InvalidAction("cannot snooze: the incident is not classified yet")
        refusal = snooze_refusal(duration, self.route.policy.longest_snooze, self.route.policy_id)
        if refusal is not None:
            raise InvalidAction(refusal)
        return status

    # ---- pauses in paging: ack timeouts, snoozes, maintenance windows ---------------------------

    @property
    def active_snooze(self) -> Snooze | None:
        last = self.snoozes[-1] if self.snoozes else None
        return last if last is not None and last.ended_at is None else None

    @property
    def snoozed_until(self) -> datetime | None:
        snooze = self.active_snooze
        return snooze.until if snooze is not None else None

    def in_maintenance(self) -> bool:
        """The incident opened during a maintenance window that has not ended yet."""
        return self.maintenance is not None and self.maintenance_ended_at is None

    def paging_held(self) -> str | None:
        """Why nothing pages now (a snooze, a maintenance window), or None."""
        snooze = self.active_snooze
        if snooze is not None:
            return f"snoozed by {snooze.by} until {as_utc(snooze.until)}"
        if self.maintenance is not None and self.maintenance_ended_at is None:
            return f"maintenance window of {self.maintenance.service} until {as_utc(self.maintenance.end)}"
        return None

    def next_reminder_at(self) -> datetime | None:
        """When an acknowledged incident without responder activity is reminded, or returns to triggered."""
        timeout = self.route.policy.acknowledgement if self.route is not None else None
        if timeout is None or self.status is not Status.ACKNOWLEDGED or self.last_activity_at is None:
            return None
        if self.active_snooze is not None:
            return None  # the snooze's end returns the incident to triggered
        if self.reminded_at is None:
            due = self.last_activity_at + timeout.remind_after
        else:
            due = self.reminded_at + timeout.retrigger_after
        if self.maintenance is not None:  # nothing pages before paging resumes
            due = max(due, self.maintenance_ended_at or self.maintenance.end)
        return due

    def next_pause_event_at(self) -> datetime | None:
        """The next reminder, re-trigger, end of a snooze or end of a maintenance window; None without any."""
        if self.status not in (Status.TRIGGERED, Status.ACKNOWLEDGED):
            return None
        window_end = self.maintenance.end if self.in_maintenance() and self.maintenance is not None else None
        moments = [m for m in (self.snoozed_until, window_end, self.next_reminder_at()) if m is not None]
        return min(moments) if moments else None

    # ---- on-call schedules ------------------------------------------------------------------------

    def on_call_needed(self) -> list[str] | None:
        """The schedules to ask about before the level waiting for them is paged; None when no level waits (or the
        incident is no longer triggered: that page is no longer wanted)."""
        if self.awaiting_on_call is None or self.status is not Status.TRIGGERED:
            return None
        return list(self.awaiting_on_call.schedules)
