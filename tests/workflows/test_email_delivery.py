"""Pages by email through a real SMTP server, on the time-skipping server: addresses, retries, the timeline."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.catalog_file import LoadedCatalog
from domain.policy.notification_retries import idempotency_key
from domain.views.record import IncidentStatusView
from tests.support.incidents import events, minutes, offset, start, status
from tests.support.settings import make_settings
from tests.support.smtp_server import SmtpServer
from tests.support.workers import worker_for


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture
async def mailing_worker(
    time_env: WorkflowEnvironment, catalog: LoadedCatalog, tmp_path: Path, smtp: SmtpServer
) -> AsyncIterator[Worker]:
    settings = make_settings(
        tmp_path,
        log_channel=False,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        smtp_from="Incidents <incidents@shop.example>",
        smtp_timeout_seconds=2,
    )
    async with worker_for(time_env, settings, catalog, http_timeout=2) as running:
        yield running


def message_id(key: str, recipient: str) -> str:
    """Worked out here by hand: the first 32 hex digits of SHA-256 of ``<idempotency key>/<recipient id>``, at the
    sender's domain."""
    return f"<{hashlib.sha256(f'{key}/{recipient}'.encode()).hexdigest()[:32]}@shop.example>"


def attempts(view: IncidentStatusView, step: str) -> list[tuple[str, int, timedelta, str]]:
    """(outcome, attempt, offset, message) of every email attempt at one page."""
    return [
        (
            entry.kind.removeprefix("notification."),
            int(entry.data["attempt"] or 0),
            offset(view.opened_at, entry.at),
            entry.message,
        )
        for entry in view.timeline
        if entry.kind.startswith("notification.") and entry.data["step"] == step and entry.data["channel"] == "email"
    ]


async def test_pages_go_out_by_email_to_the_catalog_addresses_with_every_attempt_on_the_timeline(
    time_env: WorkflowEnvironment, mailing_worker: Worker, smtp: SmtpServer
) -> None:
    smtp.script("451 4.3.0 Try again later")
    handle = await start(time_env.client, mailing_worker.task_queue)
    await time_env.sleep(minutes(6))
    view = await status(handle)

    assert attempts(view, "page-0") == [
        (
            "retrying",
            1,
            timedelta(0),
            "escalation via email to amara: retrying (attempt 1: ChannelServerError: "
            "SMTP deferred: amara <amara@shop.example> (451 4.3.0 Try again later); next try in 0:00:02)",
        ),
        (
            "delivered",
            2,
            timedelta(seconds=2),
            "escalation via email to amara: delivered (attempt 2: emailed amara <amara@shop.example>)",
        ),
    ]
    assert attempts(view, "page-1") == [
        (
            "delivered",
            1,
            minutes(5),
            "escalation via email to amara, bruno: delivered "
            "(attempt 1: emailed amara <amara@shop.example>, bruno <bruno@shop.example>)",
        )
    ]
    assert events(view, "escalation.level_paged") == [
        ("escalation.level_paged", minutes(0), "L1/pass1"),
        ("escalation.level_paged", minutes(5), "L2/pass1"),
    ]
    by_page = [(mail.message["X-Idempotency-Key"].split(":")[1], mail) for mail in smtp.received]
    # one message per recipient; pages falling due together (page-1 and the breach at 5 min) go out concurrently,
    # in either order
    assert sorted((step, mail.rcpt_tos) for step, mail in by_page) == [
        ("page-0", ["amara@shop.example"]),
        ("page-0", ["amara@shop.example"]),
        ("page-1", ["amara@shop.example"]),
        ("page-1", ["bruno@shop.example"]),
        ("sla-acknowledge-100", ["amara@shop.example"]),
        ("sla-acknowledge-100", ["bruno@shop.example"]),
        ("sla-acknowledge-50", ["amara@shop.example"]),
        ("sla-acknowledge-75", ["amara@shop.example"]),
    ]
    refused, first, to_amara, to_bruno = (mail for step, mail in by_page if step.startswith("page-"))
    page_0, page_1 = (idempotency_key(handle.id, step, "email") for step in ("page-0", "page-1"))
    assert [
        (mail.reply[:3], mail.rcpt_tos, mail.message["To"], mail.message["Message-ID"])
        for mail in (refused, first, to_amara, to_bruno)
    ] == [
        ("451", ["amara@shop.example"], "Amara Okafor <amara@shop.example>", message_id(page_0, "amara")),
        ("250", ["amara@shop.example"], "Amara Okafor <amara@shop.example>", message_id(page_0, "amara")),
        ("250", ["amara@shop.example"], "Amara Okafor <amara@shop.example>", message_id(page_1, "amara")),
        ("250", ["bruno@shop.example"], "Bruno Costa <bruno@shop.example>", message_id(page_1, "bruno")),
    ]
    assert len({message_id(page_0, "amara"), message_id(page_1, "amara"), message_id(page_1, "bruno")}) == 3
    assert first.message["To"] == "Amara Okafor <amara@shop.example>"
    assert first.message["Subject"] == "[P1] shop-payments: Payments failing for all users"
    assert first.message["X-Incident-Id"] == handle.id
    plain = first.message.get_body(("plain",))
    assert plain is not None
    assert (
        plain.get_content()
        .replace("\r\n", "\n")
        .startswith(
            f"level 1: please acknowledge\nIncident {handle.id} — Payments failing for all users\n"
            "Service: shop-payments\nAcknowledge by: "
        )
    )
    assert refused.message["Message-ID"] == first.message["Message-ID"]
