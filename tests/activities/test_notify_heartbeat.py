"""send_notification heartbeats while its channel works, so Temporal notices within seconds when the attempt's worker
dies; the heartbeats stop with the attempt, whether it delivered or failed."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import NotifyActivities
from activities.page_links import PageLinks
from domain.messages.steps import DeliveryResult, NotificationRequest
from tests.support.channel_pages import make_request


class CountsHeartbeats:
    """A channel whose call lasts until the attempt has heartbeaten ``until`` times, then answers or fails."""

    def __init__(self, until: int, fail: bool = False) -> None:
        self.heartbeats = 0
        self._until, self._fail = until, fail

    def heartbeat(self, *details: object) -> None:
        assert details == ()
        self.heartbeats += 1

    async def deliver(self, request: NotificationRequest, links: PageLinks) -> str:
        async with asyncio.timeout(30):
            while self.heartbeats < self._until:
                await asyncio.sleep(0.01)
        if self._fail:
            raise ApplicationError("HTTP 503 Service Unavailable", type="ChannelServerError")
        return f"HTTP 200 after {self._until} heartbeats"


def heartbeat_loops() -> list[asyncio.Task[object]]:
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__name__", "") == "_heartbeat_until_cancelled"
    ]


async def attempt(channel: CountsHeartbeats) -> DeliveryResult:
    environment = ActivityEnvironment()
    environment.on_heartbeat = channel.heartbeat
    result: DeliveryResult = await environment.run(
        NotifyActivities({"webhook": channel}).send_notification, make_request("webhook")
    )
    return result


async def test_an_attempt_heartbeats_while_its_channel_works_and_stops_when_delivered() -> None:
    channel = CountsHeartbeats(until=3)
    assert await attempt(channel) == DeliveryResult(channel="webhook", detail="HTTP 200 after 3 heartbeats")
    await asyncio.sleep(0)  # the cancelled loop ends at its next step
    assert heartbeat_loops() == []


async def test_the_heartbeats_stop_when_the_attempt_fails() -> None:
    channel = CountsHeartbeats(until=2, fail=True)
    with pytest.raises(ApplicationError) as failed:
        await attempt(channel)
    assert (failed.value.type, failed.value.message) == ("ChannelServerError", "HTTP 503 Service Unavailable")
    await asyncio.sleep(0)
    assert heartbeat_loops() == []
