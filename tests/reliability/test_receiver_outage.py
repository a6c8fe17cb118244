"""A notification receiver that is down for a long stretch, on the time-skipping server.

First nothing listens on the webhook's port (connection refused), then a server answers 500 to everything, then it
recovers. The escalation clock never notices; every page still within its 12 attempts is delivered exactly once per
Idempotency-Key after the recovery, and the one page whose attempts ran out during the outage is recorded as
``notification.failed``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog
from domain.policy.notification_retries import idempotency_key
from domain.views.record import IncidentStatusView
from tests.support.incidents import events, minutes, offset, start, status
from tests.support.receiver import Receiver, Reply
from tests.support.settings import make_settings
from tests.support.workers import worker_for


class ReceiverOnPort(Receiver):
    """The test receiver on a port chosen beforehand, so the port can refuse connections until it starts."""

    def __init__(self, port: int, default: int) -> None:
        super().__init__(default)
        self.port = port

    async def start(self) -> ReceiverOnPort:
        self._server = await asyncio.start_server(self._serve, host="127.0.0.1", port=self.port)
        return self

    def answer(self, status: int) -> None:
        """From now on, answer every request (that takes no scripted reply) with ``status``."""
        self._default = Reply(status)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def receiver() -> AsyncIterator[ReceiverOnPort]:
    receiver = ReceiverOnPort(free_port(), default=500)
    yield receiver
    await receiver.stop()


@pytest.fixture
async def paging_worker(
    time_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path, receiver: ReceiverOnPort
) -> AsyncIterator[Worker]:
    settings = make_settings(tmp_path, webhook_url=receiver.url("/pages"), webhook_timeout_seconds=2)
    async with worker_for(time_env, settings, catalog, http_timeout=2) as running:
        yield running


REFUSED_UNTIL = timedelta(seconds=200)
"""Nothing listens until then: no delivery attempt falls within seconds of this moment (or of the recovery)."""
RECOVERED_AT = minutes(25)
FAILED = ["page-0"]
"""Paged at 0 min: its twelfth attempt, at 23.5 min, comes before the recovery."""
DELIVERED = {
    # step: the attempt that got through (the backoff is 2 s doubling to a 5 min cap)
    "sla-acknowledge-50": 12,  # opened at 2.5 min, twelfth attempt at 26 min
    "sla-acknowledge-75": 12,  # 3.75 min, 27.25 min
    "page-1": 12,  # 5 min, 28.5 min
    "sla-acknowledge-100": 12,  # 5 min, 28.5 min
    "page-2": 10,  # 15 min, tenth attempt at 28.5 min
    "page-3": 1,  # level 1 again at 30 min, after the recovery
    "sla-resolve-50": 1,  # 30 min
}


def webhook_attempts(view: IncidentStatusView) -> dict[str, list[tuple[str, int, timedelta, str]]]:
    """Per page step: (outcome, attempt, offset from opening, message) of every webhook attempt, in order."""
    found: dict[str, list[tuple[str, int, timedelta, str]]] = {}
    for entry in view.timeline:
        if entry.kind.startswith("notification.") and entry.data["channel"] == "webhook":
            outcome = entry.kind.removeprefix("notification.")
            attempt = (outcome, int(entry.data["attempt"] or 0), offset(view.opened_at, entry.at), entry.message)
            found.setdefault(str(entry.data["step"]), []).append(attempt)
    return found


async def test_a_long_receiver_outage_loses_only_the_pages_whose_attempts_ran_out(
    time_env: WorkflowEnvironment, paging_worker: Worker, receiver: ReceiverOnPort
) -> None:
    handle = await start(time_env.client, paging_worker.task_queue)
    await time_env.sleep(REFUSED_UNTIL)
    assert receiver.requests == []
    await receiver.start()  # answers 500 to everything
    await time_env.sleep(RECOVERED_AT - REFUSED_UNTIL)
    assert {request.status for request in receiver.requests} == {500}
    assert receiver.deliveries == {}
    receiver.answer(200)
    await time_env.sleep(minutes(33) - RECOVERED_AT)
    view = await status(handle)

    assert events(view, "escalation.level_paged") == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("escalation.level_paged", minutes(5), "L2/pass1"),
        ("escalation.level_paged", minutes(15), "L3/pass1"),
        ("escalation.level_paged", minutes(30), "L1/pass2"),
    ]
    pages = webhook_attempts(view)
    assert sorted(pages) == sorted([*FAILED, *DELIVERED])
    failed = [
        (step, attempt) for step, tried in pages.items() for outcome, attempt, _, _ in tried if outcome == "failed"
    ]
    assert failed == [("page-0", 12)]
    # 23.5 min of backoff; the time spent inside the eleven failed attempts themselves is real time the server
    # cannot skip (milliseconds each, more on a loaded machine), so the last attempt may come a second or two later.
    assert minutes(23.5) <= pages["page-0"][-1][2] < minutes(23.5) + timedelta(seconds=5)
    for step, tried in pages.items():
        outcomes = [outcome for outcome, _, _, _ in tried]
        last = DELIVERED.get(step, 12)
        assert [attempt for _, attempt, _, _ in tried] == list(range(1, last + 1)), step
        assert outcomes == ["retrying"] * (last - 1) + ["failed" if step in FAILED else "delivered"], step
        # Refused connections before the receiver started, 500s until the recovery, then the one delivery.
        for outcome, _, moment, message in tried:
            if moment < REFUSED_UNTIL:
                assert "ChannelUnavailable: webhook unreachable: ConnectError" in message, (step, message)
            elif moment < RECOVERED_AT:
                assert "ChannelServerError: HTTP 500 Internal Server Error" in message, (step, message)
            else:
                assert (outcome, message.endswith("HTTP 200)")) == ("delivered", True), (step, message)
        reached = sum(1 for _, _, moment, _ in tried if moment >= REFUSED_UNTIL)
        assert receiver.attempts(idempotency_key(handle.id, step, "webhook")) == reached, step

    assert receiver.deliveries == {idempotency_key(handle.id, step, "webhook"): 1 for step in DELIVERED}
    assert receiver.duplicates == {}
