"""One incident's state and the rules for changing it. Every method takes the current time as an argument.

The workflow holds an ``IncidentState``, feeds it actions and the passage of time, and sends the pages it
queues in ``outbox``. Nothing here does I/O, so the same code runs in the workflow, in tests and in replay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from domain.catalog import Route, recipients, schedules_of
from domain.durations import format_duration
from domain.errors import InvalidAction, UnknownResponder
from domain.escalation import EscalationStep, step_at
from domain.maintenance import MaintenanceWindow
from domain.models import IncidentReport, Priority, Status, as_utc
from domain.oncall import OnCall, OnCallQuestion
from domain.pauses import Snooze, snooze_refusal
from domain.priority import PriorityDecision, manual_priority
from domain.sla import Clock, SlaCheckpoint, deadline, pending_checkpoints
from domain.timeline import Delivery, Escalation, Page, TimelineData, TimelineEntry
from domain.transitions import Action, next_status

__all__ = ["Delivery", "Escalation", "IncidentState", "Page", "TimelineEntry", "is_system_actor"]

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
    awaiting_on_call: OnCallQuestion | None = None
    """A level that targets schedules, paged once the workflow learns who is on call there (``record_on_call``)."""
    timeline: list[TimelineEntry] = Field(default_factory=list)

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
        """When the incident next needs attention if nobody acts: an escalation, an SLA checkpoint or a pause event."""
        moments = [m for m in (self.next_escalation_at(), self.next_pause_event_at()) if m is not None]
        pending = self.pending_sla()
        if pending:
            moments.append(pending[0].at)
        return min(moments) if moments else None

    # ---- opening -------------------------------------------------------------------------------

    def record(self, now: datetime, kind: str, message: str, actor: str | None = None, **data: object) -> None:
        clean: TimelineData = {
            k: v if isinstance(v, str | int | bool) or v is None else str(v) for k, v in data.items()
        }
        self.timeline.append(TimelineEntry(at=now, kind=kind, message=message, actor=actor, data=clean))

    def open(self, now: datetime) -> None:
        report = self.report
        self.record(
            now,
            "incident.opened",
            f"Reported by {report.reporter} via {report.source.value}: {report.title}",
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

    # ---- the passage of time -------------------------------------------------------------------

    def advance(self, now: datetime) -> None:
        """Fire every escalation and SLA checkpoint due at ``now``, in the order they fell due.

        At the same moment the escalation comes first, so the checkpoint's message reaches the new level.
        """
        while True:
            if self._waiting_for_on_call():
                return  # the workflow asks who is on call, records it, and advances again
            pause_due = self._pause_event_due(now)
            escalation_due = self.next_escalation_at()
            if escalation_due is not None and escalation_due > now:
                escalation_due = None
            pending = [p for p in self.pending_sla() if p.at <= now and (pause_due is None or p.at < pause_due)]
            if pause_due is not None and not pending:
                self._fire_pause_event(pause_due, now)
                continue
            if escalation_due is not None:
                earlier = [p for p in pending if p.at < escalation_due]
                if earlier:
                    self._record_checkpoints(earlier, now)
                else:
                    self._page_step(self.escalation_index + 1, now, due=escalation_due, by=None)
                continue
            if pending:
                self._record_checkpoints(pending, now)
                continue
            return

    def page_first_level(self, now: datetime) -> None:
        """Page level 1; the path's delays count from the incident's opening, not from classification.

        During a maintenance window nobody is paged: the window's end pages level 1 (``_end_maintenance``).
        """
        if self.in_maintenance():
            return
        self._page_step(0, now, due=self.opened_at, by=None)

    def _page_step(
        self, index: int, now: datetime, due: datetime, by: str | None, on_call: list[OnCall] | None = None
    ) -> None:
        assert self.route is not None
        step = step_at(self.route.policy, index)
        if step is None:
            self._exhaust(now)
            return
        schedules = schedules_of(step.targets)
        if schedules and on_call is None:
            self.awaiting_on_call = OnCallQuestion(index=index, schedules=schedules, due=due, by=by, asked_at=now)
            return
        self.escalation_index, self.level_paged_at = index, due
        people = recipients(step.targets, self.route.team_members, {a.schedule: a.user for a in on_call or []})
        if schedules and not people:
            people = [self.route.policy.final_owner]
            self.record(now, "oncall.final_owner", f"nobody on call for level {step.level}: paging {people[0]}")
        self.escalations.append(
            Escalation(
                index=index,
                loop=step.loop,
                level=step.level,
                recipients=people,
                at=now,
                due=due,
                by=by,
                on_call=on_call or [],
            )
        )
        how = f"escalated by {by}" if by else ("paged" if index == 0 else "escalated: no acknowledgement")
        where = f"level {step.level}" + (f" (pass {step.loop})" if step.loop > 1 else "")
        self.record(
            now,
            "escalation.level_paged",
            f"{how}; {where}: {', '.join(people)}",
            actor=by,
            index=index,
            level=step.level,
            loop=step.loop,
            due=due.isoformat(),
        )
        paged_before = sum(1 for escalation in self.escalations if escalation.index == index) - 1
        page_step = f"page-{index}" + (f"-{paged_before + 1}" if paged_before else "")  # a level paged again
        self._queue(page_step, "escalation", people, f"{where}: please acknowledge", level=step.level)

    def _exhaust(self, now: datetime) -> None:
        assert self.route is not None
        self.exhausted = True
        owner = self.route.policy.final_owner
        self.record(
            now,
            "escalation.exhausted",
            f"escalation path {self.route.policy_id!r} exhausted without acknowledgement; final owner {owner} told",
            final_owner=owner,
        )
        self._queue("exhausted", "exhausted", [owner], "nobody acknowledged: the escalation path is exhausted")

    def _record_checkpoints(self, due: list[SlaCheckpoint], now: datetime) -> None:
        worst: dict[Clock, SlaCheckpoint] = {}
        for point in due:
            self.sla_fired.append(point.key)
            kind = "sla.breached" if point.is_breach else "sla.warning"
            what = "breached" if point.is_breach else f"{point.percent}% elapsed"
            self.record(
                now,
                kind,
                f"{point.clock.value} SLA {what} (deadline {as_utc(self.sla_deadline(point.clock) or now)})",
                clock=point.clock.value,
                percent=point.percent,
                due=point.at.isoformat(),
            )
            worst[point.clock] = point
        for point in worst.values():  # one message per clock, for the most severe checkpoint
            kind = "sla_breach" if point.is_breach else "sla_warning"
            what = "BREACHED" if point.is_breach else f"{point.percent}% elapsed"
            people = self._current_audience()
            step = f"sla-{point.clock.value}-{point.percent}"
            held = self.paging_held()
            if held is None:
                self._queue(step, kind, people, f"{point.clock.value} SLA {what}")
            else:
                self.record(now, "page.suppressed", f"{kind} page to {', '.join(people)} suppressed: {held}", step=step)

    def _current_audience(self) -> list[str]:
        people = list(self.current_recipients)
        if self.assignee is not None and self.assignee not in people:
            people.insert(0, self.assignee)
        return people

    def _queue(self, step: str, kind: str, people: list[str], headline: str, level: int | None = None) -> None:
        report = self.report
        priority = self.priority.value if self.priority else "P?"
        subject = f"[{priority}] {report.service}: {report.title}"
        ack_due = self.sla_deadline(Clock.ACKNOWLEDGE)
        lines = [headline, f"Incident {self.incident_id} — {report.title}", f"Service: {report.service}"]
        if ack_due is not None and self.clock_stopped_at(Clock.ACKNOWLEDGE) is None:
            lines.append(f"Acknowledge by: {as_utc(ack_due)}")
        resolve_due = self.sla_deadline(Clock.RESOLVE)
        if resolve_due is not None and self.resolved_at is None:
            lines.append(f"Resolve by: {as_utc(resolve_due)}")
        self.outbox.append(
            Page(
                step=step,
                kind=kind,
                recipients=people,
                subject=subject,
                text="\n".join(lines),
                level=level,
                title=report.title,
                acknowledge_by=ack_due if self.clock_stopped_at(Clock.ACKNOWLEDGE) is None else None,
                resolve_by=resolve_due if self.resolved_at is None else None,
            )
        )

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

    def _taken_over(self, by: str) -> None:
        if self.taken_over_by is None and not is_system_actor(by):
            self.taken_over_by = by

    def acknowledge(self, by: str, now: datetime) -> None:
        self.status = self.check(Action.ACKNOWLEDGE, by)
        self._taken_over(by)
        self._responder_active(by, now)
        self._end_snooze(now, by, f"acknowledged by {by}")
        self.assignee = by
        if self.acknowledged_at is None:
            self.acknowledged_at, self.acknowledged_by = now, by
        self.record(now, "incident.acknowledged", f"acknowledged by {by}", actor=by)

    def resolve(self, by: str, summary: str, root_cause: str, now: datetime) -> None:
        self.status = self.check(Action.RESOLVE, by)
        self._taken_over(by)
        self._end_snooze(now, by, f"resolved by {by}")
        self.resolved_at, self.resolved_by = now, by
        self.resolution_summary, self.root_cause = summary, root_cause
        self.record(now, "incident.resolved", f"resolved by {by}: {summary} (root cause: {root_cause})", actor=by)
        paged = sorted({person for escalation in self.escalations for person in escalation.recipients})
        if paged:  # nobody to tell when nobody was paged (resolved during a maintenance window)
            self._queue("resolved", "resolved", paged, f"resolved by {by}: {summary}")

    def add_note(self, by: str, text: str, now: datetime) -> None:
        self.check(Action.ADD_NOTE, by)
        self._taken_over(by)
        self._responder_active(by, now)
        self.record(now, "note.added", text, actor=by)

    def escalate(self, by: str, reason: str, now: datetime) -> None:
        self.status = self.check(Action.ESCALATE, by)
        self._taken_over(by)
        self._end_snooze(now, by, f"escalated by {by}")
        self._end_maintenance_hold(now, by)
        self.assignee = None
        self.record(now, "incident.escalated", f"escalated by hand by {by}: {reason}", actor=by)
        self._page_step(self.escalation_index + 1, now, due=now, by=by)

    def reassign(self, by: str, to: str, reason: str, now: datetime) -> None:
        self.status = self.check(Action.REASSIGN, by, to=to)
        self._taken_over(by)
        self._responder_active(by, now)
        self._end_snooze(now, by, f"reassigned by {by}")
        self.assignee = to
        self.level_paged_at = now  # the new assignee gets the level's full delay before the path moves on
        self.record(now, "incident.reassigned", f"reassigned to {to} by {by}: {reason}", actor=by, to=to)
        self._queue(f"reassigned-{len(self.timeline)}", "reassigned", [to], f"assigned to you by {by}: {reason}")

    def set_priority(self, by: str, priority: Priority, reason: str, now: datetime) -> None:
        self.status = self.check(Action.SET_PRIORITY, by, priority=priority)
        self._taken_over(by)
        self._responder_active(by, now)
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

    # ---- pauses in paging: acknowledgement timeouts, snoozes, maintenance windows ----------------

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

    def _pause_event_due(self, now: datetime) -> datetime | None:
        due = self.next_pause_event_at()
        return due if due is not None and due <= now else None

    def _fire_pause_event(self, due: datetime, now: datetime) -> None:
        snooze = self.active_snooze
        if snooze is not None and snooze.until == due:
            self._end_snooze(now, None, "it ran out")
            self._retrigger(due, now, f"the snooze by {snooze.by} ended")
        elif self.in_maintenance() and self.maintenance is not None and self.maintenance.end == due:
            self._end_maintenance(due, now)
        elif self.reminded_at is None:
            self._remind(due, now)
        else:
            quiet = format_duration(due - (self.last_activity_at or due))
            self._retrigger(due, now, f"acknowledged by {self.assignee} without activity for {quiet}")

    def _responder_active(self, by: str, now: datetime) -> None:
        if not is_system_actor(by):
            self.last_activity_at, self.reminded_at = now, None

    def _remind(self, due: datetime, now: datetime) -> None:
        assert self.route is not None and self.route.policy.acknowledgement is not None
        self.reminded_at, self.reminders = due, self.reminders + 1
        who = self.assignee or self.acknowledged_by or self.route.policy.final_owner
        quiet = format_duration(due - (self.last_activity_at or due))
        retrigger_at = as_utc(due + self.route.policy.acknowledgement.retrigger_after)
        self.record(
            now,
            "acknowledgement.reminder",
            f"acknowledged, no activity for {quiet}: reminded {who}; returns to triggered at {retrigger_at} "
            "unless a responder acts",
            to=who,
            due=due.isoformat(),
        )
        step = self.current_step
        self._queue(
            f"reminder-{self.reminders}",
            "reminder",
            [who],
            f"still acknowledged, no update for {quiet}: add a note or resolve it, or it is paged again at "
            f"{retrigger_at}",
            level=step.level if step is not None else None,
        )

    def _retrigger(self, due: datetime, now: datetime, why: str) -> None:
        """Back to triggered, performed by the system: the current level is paged again and escalation resumes."""
        self.status = next_status(self.status, Action.RETRIGGER)
        self.assignee, self.reminded_at = None, None
        self.record(now, "incident.retriggered", f"returned to triggered: {why}", due=due.isoformat())
        if self.in_maintenance():
            return  # the window's end pages level 1
        self._page_step(max(self.escalation_index, 0), now, due=due, by=None)

    def check_snooze(self, by: str, duration: timedelta) -> Status:
        """The status a snooze of ``duration`` leads to, or the DomainError that refuses it."""
        status = self.check(Action.SNOOZE, by)
        if self.route is None:
            raise InvalidAction("cannot snooze: the incident is not classified yet")
        refusal = snooze_refusal(duration, self.route.policy.longest_snooze, self.route.policy_id)
        if refusal is not None:
            raise InvalidAction(refusal)
        return status

    def snooze(self, by: str, duration: timedelta, reason: str, now: datetime) -> None:
        """Pause paging until ``now + duration``; a triggered incident is acknowledged by the snoozer."""
        self.status = self.check_snooze(by, duration)
        self._taken_over(by)
        self._responder_active(by, now)
        self._end_snooze(now, by, f"snoozed again by {by}")
        if self.assignee is None:
            self.assignee = by
        if self.acknowledged_at is None:
            self.acknowledged_at, self.acknowledged_by = now, by
        until = now + duration
        self.snoozes.append(Snooze(by=by, at=now, until=until, reason=reason))
        self.record(
            now,
            "incident.snoozed",
            f"snoozed by {by} for {format_duration(duration)}, until {as_utc(until)}: {reason}",
            actor=by,
            until=until.isoformat(),
        )

    def _end_snooze(self, now: datetime, by: str | None, why: str) -> None:
        snooze = self.active_snooze
        if snooze is None:
            return
        self.snoozes[-1] = snooze.model_copy(update={"ended_at": now, "ended_by": by})
        self.record(now, "snooze.ended", f"the snooze by {snooze.by} ended: {why}", actor=by)

    def hold_for_maintenance(self, window: MaintenanceWindow, now: datetime) -> None:
        """The incident opened during ``window``: it is recorded as usual, but pages nobody until the window ends."""
        self.maintenance = window
        self.record(
            now,
            "maintenance.paging_held",
            f"opened during the maintenance window of {window.service} ({window.reason}), "
            f"{as_utc(window.start)} to {as_utc(window.end)}: nobody is paged before it ends",
            service=window.service,
            end=window.end.isoformat(),
        )

    def _end_maintenance(self, due: datetime, now: datetime) -> None:
        assert self.maintenance is not None
        self.maintenance_ended_at = due
        if self.status is Status.TRIGGERED:
            self.record(now, "maintenance.ended", "the maintenance window ended: paging level 1", due=due.isoformat())
            self._page_step(0, now, due=due, by=None)
        else:
            held = self.paging_held()
            why = held if held is not None else f"acknowledged by {self.assignee}"
            self.record(now, "maintenance.ended", f"the maintenance window ended; nobody paged: {why}")

    def _end_maintenance_hold(self, now: datetime, by: str) -> None:
        """A manual escalation pages now, so the window no longer holds this incident's pages."""
        if self.in_maintenance():
            self.maintenance_ended_at = now
            self.record(now, "maintenance.ended", f"paging resumed by {by} during the maintenance window", actor=by)

    # ---- on-call schedules ------------------------------------------------------------------------

    def on_call_needed(self) -> list[str] | None:
        """The schedules to ask about before the level waiting for them is paged; None when no level waits."""
        if not self._waiting_for_on_call():
            return None
        assert self.awaiting_on_call is not None
        return list(self.awaiting_on_call.schedules)

    def _waiting_for_on_call(self) -> bool:
        if self.awaiting_on_call is not None and self.status is not Status.TRIGGERED:
            self.awaiting_on_call = None  # acknowledged or resolved meanwhile: that page is no longer wanted
        return self.awaiting_on_call is not None

    def record_on_call(self, answers: dict[str, OnCall], unknown: list[str], now: datetime) -> None:
        """Keep who is on call on the timeline, then page the waiting level with them.

        A schedule with nobody on call pages nobody; a level left with nobody at all pages the final owner.
        """
        question = self.awaiting_on_call
        if not self._waiting_for_on_call() or question is None:
            return
        if any(name not in answers and name not in unknown for name in question.schedules):
            return  # an answer to an earlier question: on_call_needed() asks again
        self.awaiting_on_call = None
        found = []
        for name in question.schedules:
            answer = answers.get(name) or OnCall(schedule=name, at=now, user=None)
            found.append(answer)
            until = f" until {as_utc(answer.until)}" if answer.until is not None else ""
            if name in unknown:
                self.record(now, "oncall.nobody", f"nobody on call in {name}: not in the catalog", schedule=name)
            elif answer.user is None:
                self.record(now, "oncall.nobody", f"nobody on call in {name}{until}", schedule=name)
            else:
                self.record(
                    now,
                    "oncall.resolved",
                    f"on call in {name}: {answer.user} ({answer.decided_by}){until}",
                    schedule=name,
                    user=answer.user,
                    decided_by=answer.decided_by,
                )
        self._page_step(question.index, now, question.due, question.by, on_call=found)

    # ---- notifications and closing --------------------------------------------------------------

    def record_attempt(self, page: Page, channel: str, attempt: int, outcome: str, detail: str, now: datetime) -> None:
        self.record(
            now,
            f"notification.{outcome}",
            f"{page.kind} via {channel} to {', '.join(page.recipients) or 'nobody'}: {outcome} "
            f"(attempt {attempt}: {detail})",
            step=page.step,
            channel=channel,
            attempt=attempt,
        )
        if outcome in ("delivered", "failed"):
            self.deliveries.append(
                Delivery(
                    step=page.step,
                    channel=channel,
                    recipients=page.recipients,
                    outcome=outcome,
                    attempts=attempt,
                    detail=detail,
                    at=now,
                )
            )

    def close(self, now: datetime) -> None:
        self.status = next_status(self.status, Action.CLOSE)
        self.closed_at = now
        self.record(now, "incident.closed", "closed")
