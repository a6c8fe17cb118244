"""One incident, from report to record, as a durable workflow.

The workflow only orchestrates: the rules live in ``domain`` (``IncidentState``), the side effects in
``activities``. Every decision uses workflow time, so clocks and escalations survive restarts and replay.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.errors import DomainError
    from domain.incident import (
        Action,
        IncidentState,
        acknowledge,
        add_action,
        add_note,
        advance,
        assign_role,
        can_reopen,
        check_action_add,
        check_action_close,
        check_close,
        check_review_complete,
        check_review_edit,
        check_subscribe,
        check_trigger,
        check_update,
        classify,
        close_by_hand,
        close_incident,
        complete_review,
        edit_review,
        escalate,
        finish_action,
        fold_trigger,
        gate_open,
        hold_for_maintenance,
        only_resolves,
        open_reopen_window,
        page_first_level,
        post_update,
        reassign,
        record_on_call,
        record_opening,
        record_rejected,
        reopen,
        reopen_by_trigger,
        repolicy,
        resolve,
        set_priority,
        snooze,
        subscribe,
    )
    from domain.messages.actions import (
        AcknowledgeRequest,
        ActionAddRequest,
        ActionDeferRequest,
        ActionDoneRequest,
        ActionResult,
        CloseByHandRequest,
        CompleteReviewRequest,
        EscalateRequest,
        NoteRequest,
        ReassignRequest,
        ReopenRequest,
        RepolicyRequest,
        ResolveRequest,
        ReviewRequest,
        RoleRequest,
        SetPriorityRequest,
        SnoozeRequest,
        StatusUpdateRequest,
        SubscribeRequest,
        TriggerBatch,
        TriggerResult,
    )
    from domain.messages.steps import (
        Classification,
        ClassifyRequest,
        CloseRequest,
        IncidentInput,
        OnCallRequest,
        OnCallResult,
    )
    from domain.models import Status
    from domain.views.record import IncidentRecord, IncidentStatusView, describe, status_view
    from workflows import search_attributes as sa
    from workflows.metrics import IncidentMetrics
    from workflows.page_delivery import deliver  # stateless: one copy serves every incident

CLASSIFY_TIMEOUT = timedelta(seconds=30)
CLASSIFY_LOCALLY = "classify-as-local-activity"
"""Classification is a quick look-up in the worker's catalog: as a local activity it runs in the workflow task's
worker and answers in the same task, one round trip sooner to the first page (docs/benchmarks.md)."""
CATCH_UP_FIRST = "advance-before-action"
"""Before an update, a signal or a trigger batch is applied, whatever fell due before it (an escalation level, an SLA
checkpoint, a reminder, the end of a snooze or maintenance window) is applied first. A task that reaches the worker
late (after a failover) carries the overdue timer and the action together, and the SDK runs handlers before timers;
incidents started before the change replay their own way."""
CLOSE_TIMEOUT = timedelta(seconds=30)
DOCUMENT_TIMEOUT = timedelta(minutes=1)
REOPEN_WINDOW = "reopen-window"
"""A resolved incident stays open for its policy's reopen window before it closes (``domain.incident._reopening``);
incidents resolved before the change closed at once, and their histories replay that way."""
CLOSURE_GATE = "closure-gate"
"""After its reopen window a resolved incident closes only once its required review is complete and its action items
are done or deferred (or someone closes it by hand where the policy allows); incidents resolved before the change
closed at once."""
ON_CALL_TIMEOUT = timedelta(seconds=30)
STEP_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


def _refusal(error: DomainError) -> ApplicationError:
    return ApplicationError(str(error), type=error.code, non_retryable=True)


@workflow.defn
class IncidentWorkflow:
    @workflow.init
    def __init__(self, input: IncidentInput) -> None:
        self._state = input.state or IncidentState(
            incident_id=input.incident_id, report=input.report, opened_at=workflow.now()
        )
        self._changed = False
        self._deliveries: set[asyncio.Task[None]] = set()
        self._on_call_lock = asyncio.Lock()
        self._search_attributes: dict[str, Any] = {}
        self._metrics = IncidentMetrics(seen=self._state.timeline_total or 0)  # a continued run counts only what is new

    # ---- the lifecycle ----------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: IncidentInput) -> IncidentRecord:
        state = self._state
        if input.state is None:
            await self._open()
        self._after_change()

        while True:
            await self._until_resolved(input)
            if not await self._reopened_in_window():
                break
        await self._until_gate_opens(input)

        await workflow.wait_condition(lambda: not self._deliveries)
        close_incident(state, workflow.now())
        self._after_change()
        record: IncidentRecord = await workflow.execute_activity(
            "close_incident",
            CloseRequest(state=state, closed_at=workflow.now()),
            result_type=IncidentRecord,
            start_to_close_timeout=CLOSE_TIMEOUT,
            retry_policy=STEP_RETRY,
        )
        await workflow.execute_activity(
            "document_incident",
            record,
            start_to_close_timeout=DOCUMENT_TIMEOUT,
            retry_policy=STEP_RETRY,
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return record

    async def _until_resolved(self, input: IncidentInput) -> None:
        """Escalate, remind and check the SLA clocks on time until a responder (or monitoring) resolves it."""
        state = self._state
        while state.status in (Status.TRIGGERED, Status.ACKNOWLEDGED):
            wake = state.next_wake()
            if wake is None or wake > workflow.now():
                timeout = None if wake is None else wake - workflow.now()
                with contextlib.suppress(TimeoutError):  # the timeout is the next escalation or SLA checkpoint
                    await workflow.wait_condition(lambda: self._changed, timeout=timeout)
            self._changed = False
            advance(state, workflow.now())
            await self._answer_on_call()
            self._after_change()
            if self._history_too_long(input.history_limit):
                await self._continue_as_new(input)

    async def _reopened_in_window(self) -> bool:
        """Resolved: wait out the policy's reopen window; True when it was reopened within it."""
        state = self._state
        window = state.route.policy.reopen_window if state.route is not None else timedelta()
        if state.status is not Status.RESOLVED or not window or not workflow.patched(REOPEN_WINDOW):
            return False
        if state.reopen_until is None:
            open_reopen_window(state, workflow.now())
            self._after_change()
        until = state.reopen_until
        assert until is not None
        if until > workflow.now():
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: state.status is not Status.RESOLVED or state.closing_by is not None,
                    timeout=until - workflow.now(),
                )
        return state.status is not Status.RESOLVED

    async def _until_gate_opens(self, input: IncidentInput) -> None:
        """Resolved, its window past: wait for the review and the action items (reminding owners on time), or for
        someone to close it by hand."""
        state = self._state
        if state.status is not Status.RESOLVED or gate_open(state) or not workflow.patched(CLOSURE_GATE):
            return
        while not gate_open(state):
            wake = state.next_wake()
            timeout = None if wake is None else max(wake - workflow.now(), timedelta())
            self._changed = False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._changed or gate_open(state), timeout=timeout)
            advance(state, workflow.now())
            self._after_change()
            if self._history_too_long(input.history_limit):
                await self._continue_as_new(input)

    async def _open(self) -> None:
        state = self._state
        record_opening(state, workflow.now())
        request = ClassifyRequest(incident_id=state.incident_id, report=state.report, at=workflow.now())
        classification: Classification
        if workflow.patched(CLASSIFY_LOCALLY):
            classification = await workflow.execute_local_activity(
                "classify_incident",
                request,
                result_type=Classification,
                start_to_close_timeout=CLASSIFY_TIMEOUT,
                retry_policy=STEP_RETRY,
            )
        else:  # incidents opened before the change classified through the task queue; their histories say so
            classification = await workflow.execute_activity(
                "classify_incident",
                request,
                result_type=Classification,
                start_to_close_timeout=CLASSIFY_TIMEOUT,
                retry_policy=STEP_RETRY,
            )
        state.channels = classification.channels
        classify(state, classification.decision, classification.route, workflow.now())
        if classification.maintenance is not None:
            hold_for_maintenance(state, classification.maintenance, workflow.now())
        page_first_level(state, workflow.now())
        advance(state, workflow.now())
        await self._answer_on_call()

    async def _answer_on_call(self) -> None:
        """A level that targets schedules waits to be paged: ask who is on call now, record it, page it.

        Runs only when such a level waits, so incidents without schedules run exactly the commands they always did.
        """
        state = self._state
        while state.on_call_needed() is not None:
            async with self._on_call_lock:  # one question at a time, whether the timer or an update asks
                schedules = state.on_call_needed()
                if schedules is None:
                    return
                result: OnCallResult = await workflow.execute_activity(
                    "resolve_on_call",
                    OnCallRequest(incident_id=state.incident_id, schedules=schedules, at=workflow.now()),
                    result_type=OnCallResult,
                    start_to_close_timeout=ON_CALL_TIMEOUT,
                    retry_policy=STEP_RETRY,
                )
                record_on_call(state, result.answers, result.unknown, workflow.now())
                advance(state, workflow.now())

    @staticmethod
    def _history_too_long(limit: int) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= limit

    async def _continue_as_new(self, input: IncidentInput) -> NoReturn:
        """Carry the whole incident into a fresh run: clocks, level and timeline continue where they were."""
        await workflow.wait_condition(lambda: not self._deliveries and workflow.all_handlers_finished())
        advance(self._state, workflow.now())
        if self._state.outbox:  # something fell due meanwhile: send it from this run first
            self._after_change()
            await workflow.wait_condition(lambda: not self._deliveries and workflow.all_handlers_finished())
        workflow.continue_as_new(input.model_copy(update={"state": self._state}))

    def _after_change(self) -> None:
        """Send what the change queued, count it in the metrics, and keep the UI's view of the incident current."""
        self._metrics.record(self._state.timeline, self._state.timeline_total or 0)
        for page in self._state.take_outbox():
            for channel in self._state.channels:
                task = asyncio.create_task(deliver(self._state, page, channel))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)
        self._upsert_search_attributes()
        workflow.set_current_details(describe(self._state, workflow.now()))

    def _upsert_search_attributes(self) -> None:
        wanted = sa.values_for(self._state, workflow.now())
        if wanted == self._search_attributes:
            return
        self._search_attributes = wanted
        keys = {key.name: key for key in sa.ALL}
        workflow.upsert_search_attributes([keys[name].value_set(value) for name, value in wanted.items()])

    # ---- responders: updates (validated, answer the new status) -----------------------------------

    def _caught_up(self) -> IncidentState:
        """The state as the action will find it: what fell due applied, on a copy (validators change nothing)."""
        wake = self._state.next_wake()
        if wake is None or wake > workflow.now():
            return self._state
        ahead = self._state.model_copy(deep=True)
        advance(ahead, workflow.now())
        return ahead

    def _validate(self, action: Action, by: str, **details: Any) -> None:
        try:
            self._caught_up().check(action, by, **details)
        except DomainError as error:
            raise _refusal(error) from error

    async def _catch_up(self) -> None:
        """Apply what fell due before the action arrived, in the order it fell due, before the action itself."""
        await workflow.wait_condition(lambda: self._state.route is not None)
        if not workflow.patched(CATCH_UP_FIRST):
            return
        advance(self._state, workflow.now())  # nothing when nothing is due
        await self._answer_on_call()

    async def _apply(self, change: Any) -> ActionResult:
        await self._catch_up()
        try:
            change(workflow.now())
        except DomainError as error:
            raise _refusal(error) from error
        await self._answer_on_call()
        self._changed = True
        self._after_change()
        return self._result()

    def _result(self) -> ActionResult:
        step = self._state.current_step
        return ActionResult(
            incident_id=self._state.incident_id,
            status=self._state.status,
            priority=self._state.priority,
            assignee=self._state.assignee,
            escalation_level=step.level if step else None,
        )

    @workflow.update
    async def acknowledge(self, request: AcknowledgeRequest) -> ActionResult:
        return await self._apply(lambda now: acknowledge(self._state, request.by, now))

    @acknowledge.validator
    def validate_acknowledge(self, request: AcknowledgeRequest) -> None:
        self._validate(Action.ACKNOWLEDGE, request.by)

    @workflow.update
    async def resolve(self, request: ResolveRequest) -> ActionResult:
        return await self._apply(lambda now: resolve(self._state, request.by, request.summary, request.root_cause, now))

    @resolve.validator
    def validate_resolve(self, request: ResolveRequest) -> None:
        self._validate(Action.RESOLVE, request.by)

    @workflow.update
    async def reopen(self, request: ReopenRequest) -> ActionResult:
        return await self._apply(lambda now: reopen(self._state, request.by, request.reason, now))

    @reopen.validator
    def validate_reopen(self, request: ReopenRequest) -> None:
        try:
            self._state.check_reopen(request.by, workflow.now())
        except DomainError as error:
            raise _refusal(error) from error

    @workflow.update
    async def assign_role(self, request: RoleRequest) -> ActionResult:
        return await self._apply(lambda now: assign_role(self._state, request.by, request.role, request.user, now))

    @assign_role.validator
    def validate_assign_role(self, request: RoleRequest) -> None:
        try:
            self._caught_up().check_role(request.by, request.role, request.user)
        except DomainError as error:
            raise _refusal(error) from error

    def _refuse_unless(self, check: Any) -> None:
        """Run a validator's ``check`` against the caught-up state; its DomainError is the update's refusal."""
        try:
            check(self._caught_up())
        except DomainError as error:
            raise _refusal(error) from error

    @workflow.update
    async def edit_review(self, request: ReviewRequest) -> ActionResult:
        return await self._apply(lambda now: edit_review(self._state, request.by, request.section, request.text, now))

    @edit_review.validator
    def validate_edit_review(self, request: ReviewRequest) -> None:
        self._refuse_unless(lambda state: check_review_edit(state, request.by))

    @workflow.update
    async def complete_review(self, request: CompleteReviewRequest) -> ActionResult:
        return await self._apply(lambda now: complete_review(self._state, request.by, now))

    @complete_review.validator
    def validate_complete_review(self, request: CompleteReviewRequest) -> None:
        self._refuse_unless(lambda state: check_review_complete(state, request.by))

    @workflow.update
    async def add_action(self, request: ActionAddRequest) -> ActionResult:
        return await self._apply(
            lambda now: add_action(self._state, request.by, request.owner, request.due, request.text, now)
        )

    @add_action.validator
    def validate_add_action(self, request: ActionAddRequest) -> None:
        self._refuse_unless(
            lambda state: check_action_add(state, request.by, request.owner, request.due, workflow.now())
        )

    @workflow.update
    async def action_done(self, request: ActionDoneRequest) -> ActionResult:
        return await self._apply(lambda now: finish_action(self._state, request.by, request.number, None, now))

    @action_done.validator
    def validate_action_done(self, request: ActionDoneRequest) -> None:
        self._refuse_unless(lambda state: check_action_close(state, request.by, request.number))

    @workflow.update
    async def action_defer(self, request: ActionDeferRequest) -> ActionResult:
        return await self._apply(
            lambda now: finish_action(self._state, request.by, request.number, request.reason, now)
        )

    @action_defer.validator
    def validate_action_defer(self, request: ActionDeferRequest) -> None:
        self._refuse_unless(lambda state: check_action_close(state, request.by, request.number))

    @workflow.update
    async def repolicy(self, request: RepolicyRequest) -> ActionResult:
        """Route the incident again with the worker's current catalog and move it to that policy and SLA."""
        await self._catch_up()
        state = self._state
        classification: Classification = await workflow.execute_local_activity(
            "classify_incident",
            ClassifyRequest(incident_id=state.incident_id, report=state.report, at=workflow.now()),
            result_type=Classification,
            start_to_close_timeout=CLASSIFY_TIMEOUT,
            retry_policy=STEP_RETRY,
        )
        return await self._apply(lambda now: repolicy(state, request.by, classification.route, now))

    @repolicy.validator
    def validate_repolicy(self, request: RepolicyRequest) -> None:
        self._refuse_unless(lambda state: state.check(Action.REPOLICY, request.by))

    @workflow.update
    async def post_update(self, request: StatusUpdateRequest) -> ActionResult:
        return await self._apply(lambda now: post_update(self._state, request.by, request.state, request.message, now))

    @post_update.validator
    def validate_post_update(self, request: StatusUpdateRequest) -> None:
        self._refuse_unless(lambda state: check_update(state, request.by))

    @workflow.update
    async def subscribe(self, request: SubscribeRequest) -> ActionResult:
        return await self._apply(lambda now: subscribe(self._state, request.by, now))

    @subscribe.validator
    def validate_subscribe(self, request: SubscribeRequest) -> None:
        self._refuse_unless(lambda state: check_subscribe(state, request.by))

    @workflow.update
    async def close(self, request: CloseByHandRequest) -> ActionResult:
        return await self._apply(lambda now: close_by_hand(self._state, request.by, now))

    @close.validator
    def validate_close(self, request: CloseByHandRequest) -> None:
        self._refuse_unless(lambda state: check_close(state, request.by, workflow.now()))

    @workflow.update
    async def add_note(self, request: NoteRequest) -> ActionResult:
        return await self._apply(lambda now: add_note(self._state, request.by, request.text, now))

    @add_note.validator
    def validate_add_note(self, request: NoteRequest) -> None:
        try:
            self._caught_up().check_note(request.by, request.text)
        except DomainError as error:
            raise _refusal(error) from error

    @workflow.update
    async def escalate(self, request: EscalateRequest) -> ActionResult:
        return await self._apply(lambda now: escalate(self._state, request.by, request.reason, now))

    @escalate.validator
    def validate_escalate(self, request: EscalateRequest) -> None:
        self._validate(Action.ESCALATE, request.by)

    @workflow.update
    async def reassign(self, request: ReassignRequest) -> ActionResult:
        return await self._apply(lambda now: reassign(self._state, request.by, request.to, request.reason, now))

    @reassign.validator
    def validate_reassign(self, request: ReassignRequest) -> None:
        self._validate(Action.REASSIGN, request.by, to=request.to)

    @workflow.update
    async def set_priority(self, request: SetPriorityRequest) -> ActionResult:
        return await self._apply(
            lambda now: set_priority(self._state, request.by, request.priority, request.reason, now)
        )

    @set_priority.validator
    def validate_set_priority(self, request: SetPriorityRequest) -> None:
        self._validate(Action.SET_PRIORITY, request.by, priority=request.priority)

    @workflow.update
    async def snooze(self, request: SnoozeRequest) -> ActionResult:
        return await self._apply(lambda now: snooze(self._state, request.by, request.duration, request.reason, now))

    @snooze.validator
    def validate_snooze(self, request: SnoozeRequest) -> None:
        try:
            self._caught_up().check_snooze(request.by, request.duration)
        except DomainError as error:
            raise _refusal(error) from error

    @workflow.update
    async def add_triggers(self, batch: TriggerBatch) -> TriggerResult:
        """Fold triggers for this incident's key: count them, keep the latest payload, track alerts.

        Folding stops where the incident resolves (all alerts resolved); the rest belong to a new incident.
        """
        await self._catch_up()
        state = self._state
        accepted, opened = 0, state.triggers == 0
        for trigger in batch.triggers:
            if state.status is Status.RESOLVED and can_reopen(state, workflow.now()) and only_resolves(trigger):
                accepted += 1  # alerts resolving while the incident is resolved change nothing
                continue
            if state.status is Status.RESOLVED:
                reopen_by_trigger(state, trigger, workflow.now())
            if state.status not in (Status.TRIGGERED, Status.ACKNOWLEDGED):
                break
            fold_trigger(state, trigger, workflow.now())
            accepted += 1
        self._changed = True
        self._after_change()
        return TriggerResult(
            incident_id=state.incident_id,
            status=state.status,
            priority=state.priority,
            triggers=state.triggers,
            opened=opened,
            accepted=accepted,
        )

    @add_triggers.validator
    def validate_add_triggers(self, batch: TriggerBatch) -> None:
        firing = any(not only_resolves(trigger) for trigger in batch.triggers)
        try:
            check_trigger(self._state, workflow.now(), firing)
        except DomainError as error:
            raise ApplicationError(str(error), type="IncidentResolved", non_retryable=True) from error

    @workflow.update
    async def wait_for_classification(self) -> ActionResult:
        """Answers once the incident has a priority and a route; used by reporters to learn both."""
        await workflow.wait_condition(lambda: self._state.route is not None)
        return self._result()

    # ---- responders: signals (for `temporal workflow signal` and the UI) ---------------------------

    @workflow.signal(name="acknowledge")
    async def acknowledge_signal(self, request: AcknowledgeRequest) -> None:
        await self._signal(Action.ACKNOWLEDGE, request.by, lambda now: acknowledge(self._state, request.by, now))

    @workflow.signal(name="resolve")
    async def resolve_signal(self, request: ResolveRequest) -> None:
        await self._signal(
            Action.RESOLVE,
            request.by,
            lambda now: resolve(self._state, request.by, request.summary, request.root_cause, now),
        )

    async def _signal(self, action: Action, by: str, change: Any) -> None:
        await self._catch_up()
        try:
            change(workflow.now())
        except DomainError as error:
            record_rejected(self._state, action.value, by, str(error), workflow.now())
        self._changed = True
        self._after_change()

    # ---- queries ----------------------------------------------------------------------------------

    @workflow.query
    def get_status(self) -> IncidentStatusView:
        return status_view(self._state, workflow.now())
