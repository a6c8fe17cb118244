"""The page, people and links the channel tests send: fixed values, so every test can assert exact output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.channels.base import Channel
from activities.notify import NotifyActivities
from activities.page_links import LinkSigner
from domain.incident import Page
from domain.messages.steps import DeliveryResult, NotificationRequest
from domain.models import Priority
from domain.policy.catalog import User
from domain.policy.notification_retries import idempotency_key

INCIDENT_ID = "INC-20261128-0042"
TITLE = "Checkout returns 502"
SUBJECT = f"[P1] shop-payments: {TITLE}"
ACK_BY = datetime(2026, 11, 28, 9, 5, tzinfo=UTC)
RESOLVE_BY = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
TEXT = (
    "level 1: please acknowledge\n"
    f"Incident {INCIDENT_ID} — {TITLE}\n"
    "Service: shop-payments\n"
    "Acknowledge by: 2026-11-28 09:05:00 UTC\n"
    "Resolve by: 2026-11-28 10:00:00 UTC"
)

USERS = {
    "amara": User(name="Amara Okafor", email="amara@shop.example", slack="U024BE7LH"),
    "bruno": User(name="Bruno Costa", email="bruno@shop.example", slack="U02B7C9QX"),
    "chen": User(name="Chen Wei", email="chen@shop.example"),
    "dana": User(name="Dana Levi", slack="U04D8K1RS"),
    "emil": User(name="Emil Novak"),
}
"""amara and bruno have both contact methods, chen only email, dana only Slack, emil neither."""

LINK_SECRET = b"k" * 32
LINK_NOW = datetime(2026, 11, 28, 9, 0, 30, tzinfo=UTC)


def signer() -> LinkSigner:
    return LinkSigner(
        secret=LINK_SECRET, ttl=timedelta(hours=24), public_url="https://incidents.example/", clock=lambda: LINK_NOW
    )


def make_page(recipients: list[str] | None = None, **changes: object) -> Page:
    page = Page(
        step="page-0",
        kind="escalation",
        recipients=["amara", "chen"] if recipients is None else recipients,
        subject=SUBJECT,
        text=TEXT,
        level=1,
        title=TITLE,
        acknowledge_by=ACK_BY,
        resolve_by=RESOLVE_BY,
    )
    return page.model_copy(update=changes)


def make_request(
    channel: str, page: Page | None = None, priority: Priority | None = Priority.P1
) -> NotificationRequest:
    page = page or make_page()
    return NotificationRequest(
        incident_id=INCIDENT_ID,
        channel=channel,
        page=page,
        priority=priority,
        service="shop-payments",
        idempotency_key=idempotency_key(INCIDENT_ID, page.step, channel),
    )


async def send(
    name: str, channel: Channel, request: NotificationRequest, links: LinkSigner | None = None
) -> DeliveryResult:
    activities = NotifyActivities({name: channel}, links)
    result: DeliveryResult = await ActivityEnvironment().run(activities.send_notification, request)
    return result


async def send_failing(name: str, channel: Channel, request: NotificationRequest) -> ApplicationError:
    try:
        await send(name, channel, request)
    except ApplicationError as error:
        return error
    raise AssertionError("the delivery was expected to fail")
