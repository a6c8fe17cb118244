"""Delivering one page on one channel from inside the workflow: one activity attempt at a time, every attempt on the
incident's timeline, backoff between them decided by ``domain.delivery``.

Runs beside the incident's main loop, so a channel that is down never holds up the escalation clock.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.delivery import MAX_DELIVERY_ATTEMPTS, idempotency_key, retry_delay
    from domain.incident import IncidentState, Page
    from domain.requests import DeliveryResult, NotificationRequest

NOTIFY_TIMEOUT = timedelta(seconds=30)
ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)
"""Deliveries are retried by the workflow itself, so that every attempt is on the timeline."""


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
                start_to_close_timeout=NOTIFY_TIMEOUT,
                retry_policy=ONE_ATTEMPT,
            )
        except ActivityError as error:
            cause = error.cause
            detail = str(cause) if cause is not None else str(error)
            final = isinstance(cause, ApplicationError) and cause.non_retryable
            if final or attempt == MAX_DELIVERY_ATTEMPTS:
                state.record_attempt(page, channel, attempt, "failed", detail, workflow.now())
                return
            asked = cause.next_retry_delay if isinstance(cause, ApplicationError) else None
            delay = retry_delay(attempt, asked)
            state.record_attempt(page, channel, attempt, "retrying", f"{detail}; next try in {delay}", workflow.now())
            await workflow.sleep(delay)
        else:
            state.record_attempt(page, channel, attempt, "delivered", result.detail, workflow.now())
            return
