"""One incident's state and the rules for changing it. Every method takes the current time as an argument.

The workflow holds an ``IncidentState``, feeds it actions and the passage of time, and sends the pages it
queues in ``outbox``. Nothing here does I/O, so the same code runs in the workflow, in tests and in replay.

The larger rules live beside it as functions of the state, and the methods here hand over to them: paging a level and
queueing pages (``domain.paging``), the passage of time (``domain.timers``), pauses in paging (``domain.pause_rules``)
and levels that wait for on-call schedules (``domain.oncall_paging``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from domain import budget, oncall_paging, paging, pause_rules, timers
from domain.actors import SYSTEM_ACTOR_PREFIX, is_system_actor, responder_active, taken_over
from domain.catalog import Route, recipients
from domain.errors import InvalidAction, LimitReached, UnknownResponder
from domain.escalation import EscalationStep, step_at
from domain.maintenance import MaintenanceWindow
from domain.models import IncidentReport, Priority, Status
from domain.oncall import OnCall, OnCallQuestion
from domain.pauses import Snooze
from domain.priority import PriorityDecision, manual_priority
from domain.sla import Clock, SlaCheckpoint, deadline, pending_checkpoints
from domain.timeline import Delivery, Escalation, Page, TimelineData, TimelineEntry
from domain.transitions import Action, next_status

__all__ = ["SYSTEM_ACTOR_PREFIX", "Delivery", "Escalation", "IncidentState", "Page", "TimelineEntry", "is_system_actor"]


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
    awaiting_on_call: OnCallQuestion | None = None
    """A level that targets schedules, paged once the workflow learns who is on call there (``record_on_call``)."""
    timeline: list[TimelineEntry] = Field(default_factory=list)
    timeline_total: int | None = None
    """Entries ever recorded, folded ones included (None in states from before the size budget: the timeline's
    length then)."""
    escalations_compacted: dict[int, int] = Field(default_factory=dict)
    """Escalation index → times paged, for escalations no longer kept in full (``domain.budget``)."""
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

    def sla_deadline(self, clock: Clock) -> datetime | None:
        if self.route is None or self.priority is None:
            return None
        return deadline(self.route.sla[self.priority], clock, self.opened_at)

    def clock_stopped_at(self, clock: Clock) -> datetime | None:
        """Acknowledging stops the acknowledge clock; resolving stops both (a resolution is a response)."""
        if clock is Clock.ACKNOWLEDGE:
            return self.acknowledged_at or self.resolved_at
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
        return pending_checkpoints(targets, self.opened_at, self.running_clocks(), set(self.sla_fired))

    def next_wake(self) -> datetime | None:
        return timers.next_wake(self)

    # ---- opening -------------------------------------------------------------------------------

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

    def open(self, now: datetime) -> None:
        report = self.report
        self.record(
            now,
            "incident.opened",
            f"Reported by {report.reporter}"
            + (f" on behalf of {report.on_behalf_of}" if report.on_behalf_of else "")
            + f" via {report.source.value}: {report.title}",
            actor=report.reporter,
            service=report.service,
            category=report.category.value,
            impact=report.impact.value,
            urgency=report.urgency.value,
        )

    def classify(self, decision: PriorityDecision, route: Route, now: datetime) -> None:
        self.decision, self.route = decision, route
        self.record(now, "incident.classified", decision.explain(), priority=decision.priority.value)
        self.record(
            now,
            "incident.routed",
            f"{route.reason}; escalation policy {route.policy_id!r}",
            team=route.team,
            policy=route.policy_id,
            known_service=route.known_service,
            **({"rule": route.rule} if route.rule is not None else {}),
        )

    # ---- the passage of time (domain.timers) ---------------------------------------------------

    def advance(self, now: datetime) -> None:
        timers.advance(self, now)

    def page_first_level(self, now: datetime) -> None:
        """Page level 1; the path's delays count from the incident's opening, not from classification.

        During a maintenance window nobody is paged: the window's end pages level 1 (``pause_rules.end_maintenance``).
        """
        if self.in_maintenance():
            return
        paging.page_step(self, 0, now, due=self.opened_at, by=None)

    def take_outbox(self) -> list[Page]:
        pages, self.outbox = self.outbox, []
        self.pages_sent += len(pages)
        return pages

    # ---- responders ----------------------------------------------------------------------------

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

    def acknowledge(self, by: str, now: datetime) -> None:
        self.status = self.check(Action.ACKNOWLEDGE, by)
        taken_over(self, by)
        responder_active(self, by, now)
        pause_rules.end_snooze(self, now, by, f"acknowledged by {by}")
        self.assignee = by
        if self.acknowledged_at is None:
            self.acknowledged_at, self.acknowledged_by = now, by
        self.record(now, "incident.acknowledged", f"acknowledged by {by}", actor=by)

    def resolve(self, by: str, summary: str, root_cause: str, now: datetime) -> None:
        self.status = self.check(Action.RESOLVE, by)
        taken_over(self, by)
        pause_rules.end_snooze(self, now, by, f"resolved by {by}")
        self.resolved_at, self.resolved_by = now, by
        self.resolution_summary, self.root_cause = summary, root_cause
        self.record(now, "incident.resolved", f"resolved by {by}: {summary} (root cause: {root_cause})", actor=by)
        paged = sorted(
            {person for escalation in self.escalations for person in escalation.recipients}
            | set(self.earlier_recipients)
        )
        if paged:  # nobody to tell when nobody was paged (resolved during a maintenance window)
            paging.queue(self, "resolved", "resolved", paged, f"resolved by {by}: {summary}")

    def check_note(self, by: str, text: str) -> Status:
        """``check`` for a note, and the size budget's bounds on notes (``domain.budget``)."""
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

    def add_note(self, by: str, text: str, now: datetime) -> None:
        self.check_note(by, text)
        taken_over(self, by)
        responder_active(self, by, now)
        self.record(now, "note.added", text, actor=by)

    def escalate(self, by: str, reason: str, now: datetime) -> None:
        self.status = self.check(Action.ESCALATE, by)
        taken_over(self, by)
        pause_rules.end_snooze(self, now, by, f"escalated by {by}")
        pause_rules.end_maintenance_hold(self, now, by)
        self.assignee = None
        self.record(now, "incident.escalated", f"escalated by hand by {by}: {reason}", actor=by)
        paging.page_step(self, self.escalation_index + 1, now, due=now, by=by)

    def reassign(self, by: str, to: str, reason: str, now: datetime) -> None:
        self.status = self.check(Action.REASSIGN, by, to=to)
        taken_over(self, by)
        responder_active(self, by, now)
        pause_rules.end_snooze(self, now, by, f"reassigned by {by}")
        self.assignee = to
        self.level_paged_at = now  # the new assignee gets the level's full delay before the path moves on
        self.record(now, "incident.reassigned", f"reassigned to {to} by {by}: {reason}", actor=by, to=to)
        paging.queue(self, f"reassigned-{len(self.timeline)}", "reassigned", [to], f"assigned to you by {by}: {reason}")

    def set_priority(self, by: str, priority: Priority, reason: str, now: datetime) -> None:
        self.status = self.check(Action.SET_PRIORITY, by, priority=priority)
        taken_over(self, by)
        responder_active(self, by, now)
        assert self.decision is not None and self.route is not None
        previous = self.decision.priority
        self.decision = manual_priority(self.decision, priority, by, reason)
        # Deadlines are recomputed from the start; checkpoints that now lie ahead are armed again.
        targets = self.route.sla[priority]
        ahead = {p.key for p in pending_checkpoints(targets, self.opened_at, set(Clock), set()) if p.at > now}
        self.sla_fired = [key for key in self.sla_fired if key not in ahead]
        self.record(
            now,
            "priority.changed",
            f"priority {previous.value} → {priority.value} by {by}: {reason}",
            actor=by,
            previous=previous.value,
            priority=priority.value,
        )

    def record_rejected(self, action: str, by: str, reason: str, now: datetime) -> None:
        """A signal cannot be refused to its sender, so a refused one is kept on the timeline."""
        self.record(now, "action.rejected", f"{action} by {by} refused: {reason}", actor=by, action=action)

    # ---- pauses in paging: ack timeouts, snoozes, maintenance windows (domain.pause_rules) -----

    @property
    def active_snooze(self) -> Snooze | None:
        return pause_rules.active_snooze(self)

    @property
    def snoozed_until(self) -> datetime | None:
        return pause_rules.snoozed_until(self)

    def in_maintenance(self) -> bool:
        return pause_rules.in_maintenance(self)

    def paging_held(self) -> str | None:
        return pause_rules.paging_held(self)

    def next_reminder_at(self) -> datetime | None:
        return pause_rules.next_reminder_at(self)

    def next_pause_event_at(self) -> datetime | None:
        return pause_rules.next_pause_event_at(self)

    def check_snooze(self, by: str, duration: timedelta) -> Status:
        return pause_rules.check_snooze(self, by, duration)

    def snooze(self, by: str, duration: timedelta, reason: str, now: datetime) -> None:
        pause_rules.snooze(self, by, duration, reason, now)

    def hold_for_maintenance(self, window: MaintenanceWindow, now: datetime) -> None:
        pause_rules.hold_for_maintenance(self, window, now)

    # ---- on-call schedules (domain.oncall_paging) ----------------------------------------------

    def on_call_needed(self) -> list[str] | None:
        return oncall_paging.on_call_needed(self)

    def record_on_call(self, answers: dict[str, OnCall], unknown: list[str], now: datetime) -> None:
        oncall_paging.record_on_call(self, answers, unknown, now)

    # ---- notifications and closing --------------------------------------------------------------

    def record_attempt(self, page: Page, channel: str, attempt: int, outcome: str, detail: str, now: datetime) -> None:
        paging.record_attempt(self, page, channel, attempt, outcome, detail, now)

    def close(self, now: datetime) -> None:
        self.status = next_status(self.status, Action.CLOSE)
        self.closed_at = now
        self.record(now, "incident.closed", "closed")
