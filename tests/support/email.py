"""The email channel as tests drive it: its settings against a local SMTP server, and the parts of what it sent."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from pydantic import SecretStr

from activities.channels.email import EmailChannel, SmtpConfig
from adapters.settings import Settings, SmtpSecurity
from tests.support.channel_pages import INCIDENT_ID, USERS

KEY = f"{INCIDENT_ID}:page-0:email"


MESSAGE_IDS = {
    person: f"<{hashlib.sha256(f'{KEY}/{person}'.encode()).hexdigest()[:32]}@shop.example>"
    for person in ("amara", "chen")
}
"""Worked out by hand: the first 32 hex digits of SHA-256 of ``<idempotency key>/<recipient id>``, at the sender's
domain."""


SENDER = "Incidents <incidents@shop.example>"


NOW = datetime(2026, 11, 28, 9, 0, 30, tzinfo=UTC)


HTML = """<!DOCTYPE html>
<html><body style="font-family: sans-serif">
<h2>[P1] shop-payments: Checkout returns 502</h2>
<p><strong>level 1: please acknowledge</strong></p>
<table>
<tr><th align="left">Priority</th><td>P1</td></tr>
<tr><th align="left">Service</th><td>shop-payments</td></tr>
<tr><th align="left">Level</th><td>1</td></tr>
<tr><th align="left">Acknowledge by</th><td>2026-11-28 09:05:00 UTC</td></tr>
<tr><th align="left">Resolve by</th><td>2026-11-28 10:00:00 UTC</td></tr>
</table>
"""


def plain(port: int, **changes: object) -> EmailChannel:
    config = SmtpConfig(host="127.0.0.1", port=port, sender=SENDER, security=SmtpSecurity.NONE, timeout=2.0)
    return EmailChannel(SmtpConfig(**{**config.__dict__, **changes}), USERS, clock=lambda: NOW)


def parts(message: EmailMessage) -> list[tuple[str, str]]:
    """(content type, decoded text) of each part; SMTP's CRLF line ends read as plain newlines."""
    return [(part.get_content_type(), part.get_content().replace("\r\n", "\n")) for part in message.iter_parts()]


def secure_settings(port: int, ca_file: Path | None, password: str = "correct horse") -> Settings:
    return Settings(
        log_channel=False,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=SmtpSecurity.STARTTLS,
        smtp_username="pager",
        smtp_password=SecretStr(password),
        smtp_from=SENDER,
        smtp_timeout_seconds=2,
        smtp_ca_file=ca_file,
    )
