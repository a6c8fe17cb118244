"""Email over SMTP: one message per recipient with a catalog address, plain text and HTML, carrying only their links.

Each message is ``To:`` one person and carries only that person's signed acknowledge/resolve links, so nobody can act
as someone else from a message they were sent. One attempt sends the messages in page order over one SMTP
connection. Each has its own ``Message-ID``, derived from the page's idempotency key and the recipient's id, so every
attempt at one page is recognisably the same message to each person (mail clients, archives and some MTAs drop a
repeated Message-ID). SMTP has no idempotency of its own: an attempt whose answer was lost after the server queued a
message, or a retried attempt, sends it again under the same Message-ID.

Outcomes, per recipient: the server's 2xx is emailed; an SMTP 4xx to RCPT or DATA (450, 451, 452) is deferred, and
the attempt then fails as ``ChannelServerError`` after trying everyone else, so the workflow retries the page (and
the people already emailed get the same message again); a 5xx to RCPT or DATA (550 mailbox unavailable, 554) refuses
that recipient, named in the result while anyone else got it, ``ChannelRejected`` when nobody did. For the whole
attempt: connection refused, timeouts and a dropped connection are ``ChannelUnavailable``; any other SMTP 4xx
(421 closing, MAIL FROM answered 451) is ``ChannelServerError`` and any other 5xx (535 authentication failed, 530
STARTTLS required) ``ChannelRejected``, as are a TLS certificate the worker cannot verify and a server without
STARTTLS or AUTH when they are configured. An attempt that stops part-way names who was already emailed.

Every header value goes through ``header_value``: on one line, with no control character, whatever a report, the
catalog or the settings hold (reports refuse them already; this is the last guard before RFC 5322).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

import aiosmtplib
from temporalio.exceptions import ApplicationError

from activities.channels.base import NO_CONTACT, SERVER_ERROR, UNAVAILABLE, USER_AGENT, Users, display_name, rejected
from activities.page_links import PageLinks
from adapters.settings import SmtpSecurity
from domain.messages.steps import NotificationRequest
from domain.models import as_utc
from domain.text import without_control_characters

ACTION_LABELS = {"acknowledge": "Acknowledge", "resolve": "Resolve"}

CLOSING = 421
"""The server is closing the connection: nobody after this gets a message in this attempt."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    """The From header, ``incidents@shop.example`` or ``Incidents <incidents@shop.example>``."""
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    """The whole SMTP conversation of one attempt, connect to the server's last reply, for every recipient."""
    tls_context: ssl.SSLContext | None = None
    """Verifies the server's certificate; None uses the system's trusted authorities."""

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]


@dataclass(frozen=True)
class Mail:
    """One message of an attempt: to ``person`` at ``address``."""

    person: str
    address: str
    message: EmailMessage

    @property
    def who(self) -> str:
        """``amara <amara@shop.example>``: the catalog id and the address, as results and errors name people."""
        return f"{self.person} <{self.address}>"


@dataclass
class Outcome:
    """What one attempt did so far, recipient by recipient, in page order."""

    emailed: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    """Refused for now (SMTP 4xx): the attempt fails, so the page is retried."""
    refused: list[str] = field(default_factory=list)
    """Refused for good (SMTP 5xx)."""

    def summary(self) -> str:
        """``deferred: ...; emailed ...; refused: ...``, each part only when it names somebody."""
        parts = [f"deferred: {', '.join(self.deferred)}"] if self.deferred else []
        if self.emailed:
            parts.append(f"emailed {', '.join(self.emailed)}")
        if self.refused:
            parts.append(f"refused: {', '.join(self.refused)}")
        return "; ".join(parts)


def utc_now() -> datetime:
    return datetime.now(UTC)


class EmailChannel:
    def __init__(self, config: SmtpConfig, users: Users, clock: Callable[[], datetime] = utc_now) -> None:
        self._config, self._users, self._clock = config, users, clock

    async def deliver(self, request: NotificationRequest, links: PageLinks) -> str:
        people = request.page.recipients
        reachable = {person: user.email for person in people if (user := self._users.get(person)) and user.email}
        unreachable = [person for person in people if person not in reachable]
        if not reachable:
            why = f"nobody on this page has an email address ({', '.join(people)})" if people else "nobody to page"
            raise ApplicationError(f"not sent: {why}", type=NO_CONTACT, non_retryable=True)
        now = self._clock()
        mails = [
            Mail(
                person,
                address,
                email_message(request, person, own_links(links, person), self._users, self._config.sender, now),
            )
            for person, address in reachable.items()
        ]
        outcome = await self._send(mails)
        if outcome.deferred:  # retried: everyone gets this page again, under the same Message-IDs
            raise ApplicationError(f"SMTP {outcome.summary()}", type=SERVER_ERROR)
        if not outcome.emailed:
            raise rejected(f"SMTP refused every recipient: {', '.join(outcome.refused)}")
        detail = outcome.summary()
        if unreachable:
            detail += f"; no email address: {', '.join(unreachable)}"
        return detail

    async def _send(self, mails: list[Mail]) -> Outcome:
        """Send every message over one connection; a failure of the whole conversation raises, naming who got one."""
        config, outcome = self._config, Outcome()
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            timeout=config.timeout,
            use_tls=config.security is SmtpSecurity.TLS,
            start_tls=config.security is SmtpSecurity.STARTTLS,
            tls_context=config.tls_context if config.security is not SmtpSecurity.NONE else None,
        )
        try:
            async with asyncio.timeout(config.timeout), client:
                for mail in mails:
                    await _send_one(client, mail, config.sender_address, outcome)
        except aiosmtplib.SMTPResponseException as error:
            text = _so_far(f"SMTP {error.code} {error.message}", outcome)
            raise (ApplicationError(text, type=SERVER_ERROR) if error.code < 500 else rejected(text)) from error
        except (aiosmtplib.SMTPTimeoutError, TimeoutError) as error:
            raise ApplicationError(_so_far(f"SMTP timed out: {error!r}", outcome), type=UNAVAILABLE) from error
        except aiosmtplib.SMTPNotSupported as error:
            raise rejected(f"SMTP server does not support what is configured: {error.message}") from error
        except ssl.SSLError as error:
            raise rejected(f"SMTP TLS failed: {error!r}") from error
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError, OSError) as error:
            raise ApplicationError(_so_far(f"SMTP unreachable: {error!r}", outcome), type=UNAVAILABLE) from error
        except aiosmtplib.SMTPException as error:
            raise ApplicationError(_so_far(f"SMTP failed: {error!r}", outcome), type=SERVER_ERROR) from error
        return outcome


async def _send_one(client: aiosmtplib.SMTP, mail: Mail, sender: str, outcome: Outcome) -> None:
    """Send one message and record the recipient's fate; a failure of the whole conversation raises."""
    try:
        await client.send_message(mail.message, sender=sender, recipients=[mail.address])
    except aiosmtplib.SMTPRecipientsRefused as error:  # RCPT TO refused: this mailbox only
        [refusal] = error.recipients
        code, answer = refusal.code, refusal.message
    except aiosmtplib.SMTPDataError as error:  # DATA refused: this message only, unless the server is closing
        if error.code == CLOSING:
            raise
        code, answer = error.code, error.message
    else:
        outcome.emailed.append(mail.who)
        return
    (outcome.deferred if code < 500 else outcome.refused).append(f"{mail.who} ({code} {answer})")


def _so_far(text: str, outcome: Outcome) -> str:
    """An error of the whole conversation, naming who was already emailed (a retry sends them the same message).

    Nobody after the failure was tried; if the connection dropped after a recipient's refusal, the next send fails.
    """
    summary = outcome.summary()
    return f"{text}; {summary}" if summary else text


def own_links(links: PageLinks, person: str) -> PageLinks:
    """Only ``person``'s links: nobody's message may carry anyone else's."""
    return {person: links[person]} if person in links else {}


def message_id(idempotency_key: str, recipient: str, sender: str) -> str:
    """``<digest@sender's domain>``: the same for every attempt at one page to one recipient, different per recipient.

    The digest is the first 32 hex digits of SHA-256 of ``<idempotency key>/<recipient id>``.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "incident-pipeline"
    digest = hashlib.sha256(f"{idempotency_key}/{recipient}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def email_message(
    request: NotificationRequest, person: str, links: PageLinks, users: Users, sender: str, now: datetime
) -> EmailMessage:
    """The message to ``person`` (who must have an address), with ``links``: theirs alone."""
    page = request.page
    user = users[person]
    assert user.email is not None
    sender = header_value(sender)
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = Address(display_name=header_value(user.name), addr_spec=header_value(user.email))
    message["Subject"] = header_value(page.subject)
    message["Date"] = format_datetime(now.astimezone(UTC), usegmt=True)
    message["Message-ID"] = message_id(request.idempotency_key, person, sender)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Incident-Id"] = header_value(request.incident_id)
    message["X-Idempotency-Key"] = header_value(request.idempotency_key)
    message["X-Mailer"] = USER_AGENT
    # quoted-printable keeps every line 7-bit, whatever the server says about 8BITMIME
    message.set_content(plain_text(request, links, users), cte="quoted-printable")
    message.add_alternative(html_text(request, links, users), subtype="html", cte="quoted-printable")
    return message


def header_value(text: str) -> str:
    """``text`` fit for a header: control characters removed, line breaks and runs of whitespace one space."""
    return " ".join(without_control_characters(text).split())


def plain_text(request: NotificationRequest, links: PageLinks, users: Users) -> str:
    lines = [request.page.text]
    for person, actions in links.items():
        lines += ["", f"{display_name(users, person)}:"]
        lines += [f"  {ACTION_LABELS.get(action, action)}: {url}" for action, url in actions.items()]
    lines += ["", f"Incident {request.incident_id} · {request.page.step}"]
    return "\n".join(lines) + "\n"


def html_text(request: NotificationRequest, links: PageLinks, users: Users) -> str:
    page = request.page
    text = page.text.splitlines() or [page.kind]
    rows = [("Priority", request.priority.value if request.priority else "unclassified"), ("Service", request.service)]
    if page.level is not None:
        rows.append(("Level", str(page.level)))
    if page.acknowledge_by is not None:
        rows.append(("Acknowledge by", as_utc(page.acknowledge_by)))
    if page.resolve_by is not None:
        rows.append(("Resolve by", as_utc(page.resolve_by)))
    parts = [
        "<!DOCTYPE html>",
        '<html><body style="font-family: sans-serif">',
        f"<h2>{_e(header_value(page.subject))}</h2>",
        f"<p><strong>{_e(text[0])}</strong></p>",
        "<table>",
        *(f'<tr><th align="left">{_e(name)}</th><td>{_e(value)}</td></tr>' for name, value in rows),
        "</table>",
    ]
    if page.title is None:  # a page from before pages carried their deadlines: its text has them
        parts.append(f"<pre>{_e(page.text)}</pre>")
    for person, actions in links.items():
        anchors = " · ".join(f'<a href="{_e(url)}">{_e(ACTION_LABELS.get(a, a))}</a>' for a, url in actions.items())
        parts.append(f"<p>{_e(display_name(users, person))}: {anchors}</p>")
    parts += [f'<p style="color: #666">Incident {_e(request.incident_id)} · {_e(page.step)}</p>', "</body></html>"]
    return "\n".join(parts) + "\n"


def _e(text: str) -> str:
    return html.escape(text, quote=True)
