"""Delivering one page on one channel from inside the workflow: one activity attempt at a time, every attempt on the
incident's timeline, backoff between them decided by ``domain.policy.notification_retries``.

Runs beside the incident's main loop, so a channel that is down never holds up the escalation clock.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutType
from temporalio.exceptions import TimeoutError as ActivityTimeout

with workflow.unsafe.imports_passed_through():
    from domain.incident import IncidentState, Page, record_attempt
    from domain.messages.steps import DeliveryResult, NotificationRequest
    from domain.policy.notification_retries import (
        ATTEMPT_TIMEOUT,
        HEARTBEAT_TIMEOUT,
        MAX_DELIVERY_ATTEMPTS,
        idempotency_key,
        retry_delay,
    )

ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)
"""Deliveries are retried by the workflow itself, so that every attempt is on the timeline."""
RETRY_LOST_AT_ONCE = "retry-lost-delivery-at-once"
"""An attempt lost with its worker (heartbeat timeout) is tried again at once, without the channel's backoff timer.
Only histories with a lost attempt meet this marker; older ones never had a heartbeat timeout to lose one by."""


async def deliver(state: IncidentState, page: Page, channel: str) -> None:
    """Deliver ``page`` on ``channel``, retrying with backoff until delivered, refused or out of attempts."""
    request = NotificationRequest(
        incident_id=state.incident_id,
        channel=channel,
        page=page,
        priority=state.priority,
        service=state.report.service,
        idempotency_key=idempotency_key(state.incident_id, page.step, channel),
    )
    for attempt in range(1, MAX_DELIVERY_ATTEMPTS + 1):
        try:
            result: DeliveryResult = await workflow.execute_activity(
                "send_notification",
                request,
                result_type=DeliveryResult,
                start_to_close_timeout=ATTEMPT_TIMEOUT,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=ONE_ATTEMPT,
            )
        except ActivityError as error:
            cause = error.cause
            detail = str(cause) if cause is not None else str(error)
            final = isinstance(cause, ApplicationError) and cause.non_retryable
            if final or attempt == MAX_DELIVERY_ATTEMPTS:
                record_attempt(state, page, channel, attempt, "failed", detail, workflow.now())
                return
            asked = cause.next_retry_delay if isinstance(cause, ApplicationError) else None
            lost = _lost(cause) and workflow.patched(RETRY_LOST_AT_ONCE)
            delay = retry_delay(attempt, asked, lost=lost)
            if lost:
                detail += ": the worker running the attempt went silent"
            next_try = f"next try in {delay}" if delay else "next try at once"
            record_attempt(state, page, channel, attempt, "retrying", f"{detail}; {next_try}", workflow.now())
            if delay:
                await workflow.sleep(delay)
        else:
            record_attempt(state, page, channel, attempt, "delivered", result.detail, workflow.now())
            return


def _lost(cause: BaseException | None) -> bool:
    """The attempt's worker stopped heartbeating (it died or stalled): not the channel's fault."""
    return isinstance(cause, ActivityTimeout) and cause.type is TimeoutType.HEARTBEAT
