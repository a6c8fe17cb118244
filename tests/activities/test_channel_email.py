"""Email against a real SMTP server (aiosmtpd): recipients, headers, MIME parts, STARTTLS/TLS, AUTH, every outcome."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from activities.channels.email import EmailChannel, SmtpConfig, message_id
from activities.channels.setup import build_channels, smtp_config
from adapters.catalog_file import LoadedCatalog
from adapters.settings import Settings, SmtpSecurity
from domain.errors import ConfigError
from tests.activities.channel_pages import (
    INCIDENT_ID,
    TEXT,
    USERS,
    make_page,
    make_request,
    send,
    send_failing,
    signer,
)
from tests.smtp_server import ACCEPTED, SmtpServer, free_port, self_signed

pytestmark = pytest.mark.filterwarnings(
    # aiosmtpd itself sets its deprecated Session.login_data on every successful AUTH
    "ignore:Session.login_data is deprecated:DeprecationWarning"
)

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


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


def plain(port: int, **changes: object) -> EmailChannel:
    config = SmtpConfig(host="127.0.0.1", port=port, sender=SENDER, security=SmtpSecurity.NONE, timeout=2.0)
    return EmailChannel(SmtpConfig(**{**config.__dict__, **changes}), USERS, clock=lambda: NOW)


def parts(message: EmailMessage) -> list[tuple[str, str]]:
    """(content type, decoded text) of each part; SMTP's CRLF line ends read as plain newlines."""
    return [(part.get_content_type(), part.get_content().replace("\r\n", "\n")) for part in message.iter_parts()]


# ---- what is sent ---------------------------------------------------------------------------------------


async def test_each_recipient_gets_a_message_of_their_own_with_only_their_links(server: SmtpServer) -> None:
    request = make_request("email", make_page(["amara", "chen", "dana", "emil"]))
    links = signer().links_for(INCIDENT_ID, request.page)

    result = await send("email", plain(server.port), request, signer())

    assert (result.channel, result.detail) == (
        "email",
        "emailed amara <amara@shop.example>, chen <chen@shop.example>; no email address: dana, emil",
    )
    to_amara, to_chen = server.received
    assert [(mail.mail_from, mail.rcpt_tos, mail.reply, mail.tls, mail.login) for mail in server.received] == [
        ("incidents@shop.example", ["amara@shop.example"], ACCEPTED, False, None),
        ("incidents@shop.example", ["chen@shop.example"], ACCEPTED, False, None),
    ]
    assert to_amara.peer == to_chen.peer  # one connection for the attempt
    assert [mail.message["To"] for mail in server.received] == [
        "Amara Okafor <amara@shop.example>",
        "Chen Wei <chen@shop.example>",
    ]
    assert [mail.message["Message-ID"] for mail in server.received] == [MESSAGE_IDS["amara"], MESSAGE_IDS["chen"]]
    assert MESSAGE_IDS["amara"] != MESSAGE_IDS["chen"]
    for mail in server.received:
        message = mail.message
        assert message["From"] == SENDER
        assert message["Cc"] is None and message["Bcc"] is None
        assert message["Subject"] == "[P1] shop-payments: Checkout returns 502"
        assert message["Date"] == "Sat, 28 Nov 2026 09:00:30 +0000"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-Incident-Id"] == INCIDENT_ID
        assert message["X-Idempotency-Key"] == KEY
        assert message.get_content_type() == "multipart/alternative"
        assert all(line.isascii() for line in mail.data.decode("ascii").splitlines())  # quoted-printable on the wire
    amara, chen = links["amara"], links["chen"]
    assert parts(to_amara.message) == [
        (
            "text/plain",
            f"{TEXT}\n\nAmara Okafor:\n  Acknowledge: {amara['acknowledge']}\n  Resolve: {amara['resolve']}\n\n"
            f"Incident {INCIDENT_ID} · page-0\n",
        ),
        (
            "text/html",
            HTML + f'<p>Amara Okafor: <a href="{amara["acknowledge"]}">Acknowledge</a> · '
            f'<a href="{amara["resolve"]}">Resolve</a></p>\n'
            f'<p style="color: #666">Incident {INCIDENT_ID} · page-0</p>\n</body></html>\n',
        ),
    ]
    assert parts(to_chen.message) == [
        (
            "text/plain",
            f"{TEXT}\n\nChen Wei:\n  Acknowledge: {chen['acknowledge']}\n  Resolve: {chen['resolve']}\n\n"
            f"Incident {INCIDENT_ID} · page-0\n",
        ),
        (
            "text/html",
            HTML + f'<p>Chen Wei: <a href="{chen["acknowledge"]}">Acknowledge</a> · '
            f'<a href="{chen["resolve"]}">Resolve</a></p>\n'
            f'<p style="color: #666">Incident {INCIDENT_ID} · page-0</p>\n</body></html>\n',
        ),
    ]
    # nobody's message carries anyone else's token (its signature, after the dot, is theirs alone) in either part
    for mail, others in ((to_amara, chen), (to_chen, amara)):
        decoded = "".join(text for _, text in parts(mail.message))
        for url in others.values():
            assert url.rpartition(".")[2] not in decoded


def test_the_message_ids_are_worked_out_from_the_key_and_the_recipient() -> None:
    assert message_id(KEY, "amara", SENDER) == MESSAGE_IDS["amara"]
    assert message_id(KEY, "amara", "incidents@ops.example") == MESSAGE_IDS["amara"].replace("shop", "ops")
    assert message_id(f"{INCIDENT_ID}:page-1:email", "amara", SENDER) != MESSAGE_IDS["amara"]
    assert message_id(KEY, "chen", SENDER) != MESSAGE_IDS["amara"]


async def test_html_escapes_whatever_a_report_says(server: SmtpServer) -> None:
    title = '<script>alert("x")</script> & <b>bold</b>'
    page = make_page(["amara"], subject=f"[P1] shop-payments: {title}\r\nBcc: all@shop.example", title=title)
    page = page.model_copy(update={"text": f"level 1: {title}\nIncident {INCIDENT_ID} — {title}"})

    await send("email", plain(server.port), make_request("email", page))

    message = server.received[0].message
    assert message["Subject"] == f"[P1] shop-payments: {title} Bcc: all@shop.example"
    assert message["Bcc"] is None
    html = dict(parts(message))["text/html"]
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    assert f"<h2>[P1] shop-payments: {escaped} Bcc: all@shop.example</h2>" in html
    assert f"<p><strong>level 1: {escaped}</strong></p>" in html
    assert "<script>" not in html and "<b>" not in html
    assert dict(parts(message))["text/plain"].startswith(f"level 1: {title}\n")


async def test_no_header_carries_a_control_character_whatever_the_page_and_catalog_hold(server: SmtpServer) -> None:
    """Reports refuse control characters; a page or a catalog name that holds one anyway never reaches a header."""
    subject = "[P1] shop-payments: \x00Check\x1b[2Jout\x07 fails\x7f\x85\u2028Bcc: all@shop.example\x9b"
    users = {"amara": USERS["amara"].model_copy(update={"name": "Amara\x00 \x1bOkafor\r\n"})}
    channel = EmailChannel(
        SmtpConfig(host="127.0.0.1", port=server.port, sender="Incidents\x07 <incidents@shop.example>",
                   security=SmtpSecurity.NONE, timeout=2.0),
        users,
        clock=lambda: NOW,
    )  # fmt: skip

    await send("email", channel, make_request("email", make_page(["amara"], subject=subject)))

    [mail] = server.received
    message = mail.message
    assert message["Subject"] == "[P1] shop-payments: Check[2Jout fails Bcc: all@shop.example"
    assert (message["From"], message["To"], message["Bcc"]) == (SENDER, "Amara Okafor <amara@shop.example>", None)
    assert message["Message-ID"] == MESSAGE_IDS["amara"]
    header_lines = mail.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert [line for line in header_lines if any(byte < 0x20 or byte == 0x7F for byte in line)] == []


async def test_a_page_from_before_pages_carried_deadlines_shows_its_text(server: SmtpServer) -> None:
    page = make_page(["amara"], title=None, acknowledge_by=None, resolve_by=None)

    await send("email", plain(server.port), make_request("email", page))

    html = dict(parts(server.received[0].message))["text/html"]
    assert '<th align="left">Acknowledge by</th>' not in html
    assert f"<pre>{TEXT}</pre>" in html


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        (["dana", "emil"], "not sent: nobody on this page has an email address (dana, emil)"),
        (["ghost"], "not sent: nobody on this page has an email address (ghost)"),
        ([], "not sent: nobody to page"),
    ],
)
async def test_nobody_with_an_address_is_a_final_failure(
    server: SmtpServer, recipients: list[str], message: str
) -> None:
    error = await send_failing("email", plain(server.port), make_request("email", make_page(recipients)))

    assert (error.type, error.message, error.non_retryable) == ("NoContactAddress", message, True)
    assert server.received == []


# ---- retries: the same messages, recognisably ---------------------------------------------------------


async def test_a_transient_refusal_is_retried_and_everyone_gets_the_same_message_again(server: SmtpServer) -> None:
    server.script("451 4.3.0 Try again later")  # amara's message, the first of the attempt
    channel = plain(server.port)
    request = make_request("email")

    failed = await send_failing("email", channel, request)
    delivered = await send("email", channel, request)

    assert (failed.type, failed.message, failed.non_retryable) == (
        "ChannelServerError",
        "SMTP deferred: amara <amara@shop.example> (451 4.3.0 Try again later); emailed chen <chen@shop.example>",
        False,
    )
    assert delivered.detail == "emailed amara <amara@shop.example>, chen <chen@shop.example>"
    assert [(mail.rcpt_tos, mail.reply, mail.message["Message-ID"]) for mail in server.received] == [
        (["amara@shop.example"], "451 4.3.0 Try again later", MESSAGE_IDS["amara"]),
        (["chen@shop.example"], ACCEPTED, MESSAGE_IDS["chen"]),
        (["amara@shop.example"], ACCEPTED, MESSAGE_IDS["amara"]),
        (["chen@shop.example"], ACCEPTED, MESSAGE_IDS["chen"]),
    ]
    first_amara, first_chen, second_amara, second_chen = server.received
    assert first_amara.peer == first_chen.peer != second_amara.peer == second_chen.peer  # a connection per attempt
    assert parts(first_amara.message) == parts(second_amara.message)
    assert parts(first_chen.message) == parts(second_chen.message)


@pytest.mark.parametrize(
    ("reply", "kind", "message", "final"),
    [
        ("421 4.7.0 Too busy, closing", "ChannelServerError", "SMTP 421 4.7.0 Too busy, closing", False),
        (
            "452 4.3.1 Insufficient system storage",
            "ChannelServerError",
            "SMTP deferred: amara <amara@shop.example> (452 4.3.1 Insufficient system storage)",
            False,
        ),
        (
            "550 5.7.1 Message rejected as spam",
            "ChannelRejected",
            "SMTP refused every recipient: amara <amara@shop.example> (550 5.7.1 Message rejected as spam)",
            True,
        ),
        (
            "554 5.6.0 Message content refused",
            "ChannelRejected",
            "SMTP refused every recipient: amara <amara@shop.example> (554 5.6.0 Message content refused)",
            True,
        ),
    ],
)
async def test_smtp_replies_to_the_message(
    server: SmtpServer, reply: str, kind: str, message: str, final: bool
) -> None:
    server.script(reply)

    error = await send_failing("email", plain(server.port), make_request("email", make_page(["amara"])))

    assert (error.type, error.message, error.non_retryable) == (kind, message, final)


async def test_a_server_closing_mid_attempt_stops_it_and_names_who_was_emailed(server: SmtpServer) -> None:
    server.script(ACCEPTED, "421 4.7.0 Too busy, closing")

    error = await send_failing(
        "email", plain(server.port), make_request("email", make_page(["amara", "bruno", "chen"]))
    )

    assert (error.type, error.message, error.non_retryable) == (
        "ChannelServerError",
        "SMTP 421 4.7.0 Too busy, closing; emailed amara <amara@shop.example>",
        False,
    )
    assert [(mail.rcpt_tos, mail.reply) for mail in server.received] == [
        (["amara@shop.example"], ACCEPTED),
        (["bruno@shop.example"], "421 4.7.0 Too busy, closing"),
    ]  # chen is not tried: the retry sends to all three


@pytest.mark.parametrize("refused_at", ["RCPT", "DATA"])
async def test_a_refused_recipient_is_named_and_the_others_get_theirs(server: SmtpServer, refused_at: str) -> None:
    if refused_at == "RCPT":
        server.refuse("amara@shop.example", "550 5.1.1 No such mailbox")
    else:
        server.script("550 5.1.1 No such mailbox")  # amara's message, the first of the attempt

    result = await send("email", plain(server.port), make_request("email", make_page(["amara", "chen", "dana"])))

    assert result.detail == (
        "emailed chen <chen@shop.example>; refused: amara <amara@shop.example> (550 5.1.1 No such mailbox); "
        "no email address: dana"
    )
    assert [mail.rcpt_tos for mail in server.received if mail.accepted] == [["chen@shop.example"]]
    assert [mail.message["Message-ID"] for mail in server.received if mail.accepted] == [MESSAGE_IDS["chen"]]


@pytest.mark.parametrize(
    ("reply", "kind", "message"),
    [
        (
            "450 4.2.1 Mailbox busy",
            "ChannelServerError",
            "SMTP deferred: amara <amara@shop.example> (450 4.2.1 Mailbox busy); "
            "refused: chen <chen@shop.example> (550 5.1.1 No such mailbox)",
        ),
        (
            "550 5.1.1 No such mailbox",
            "ChannelRejected",
            "SMTP refused every recipient: amara <amara@shop.example> (550 5.1.1 No such mailbox), "
            "chen <chen@shop.example> (550 5.1.1 No such mailbox)",
        ),
    ],
)
async def test_every_recipient_refused(server: SmtpServer, reply: str, kind: str, message: str) -> None:
    server.refuse("amara@shop.example", reply)
    server.refuse("chen@shop.example", "550 5.1.1 No such mailbox")

    error = await send_failing("email", plain(server.port), make_request("email"))

    assert (error.type, error.message, error.non_retryable) == (kind, message, kind == "ChannelRejected")
    assert server.received == []


async def test_deferred_refused_and_emailed_in_one_attempt_is_retried(server: SmtpServer) -> None:
    server.refuse("bruno@shop.example", "550 5.1.1 No such mailbox")
    server.script(ACCEPTED, "452 4.3.1 Insufficient system storage")  # amara, then chen (bruno never reaches DATA)

    error = await send_failing(
        "email", plain(server.port), make_request("email", make_page(["amara", "bruno", "chen"]))
    )

    assert (error.type, error.non_retryable) == ("ChannelServerError", False)
    assert error.message == (
        "SMTP deferred: chen <chen@shop.example> (452 4.3.1 Insufficient system storage); "
        "emailed amara <amara@shop.example>; refused: bruno <bruno@shop.example> (550 5.1.1 No such mailbox)"
    )


async def test_connection_refused_is_unavailable() -> None:
    error = await send_failing("email", plain(free_port()), make_request("email"))

    assert (error.type, error.non_retryable) == ("ChannelUnavailable", False)
    assert error.message.startswith("SMTP unreachable: SMTPConnectError(")


async def test_a_server_that_never_answers_times_out_as_unavailable() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never greets
        writer.close()

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        error = await send_failing("email", plain(port, timeout=0.3), make_request("email"))
    finally:
        listener.close()
        await listener.wait_closed()

    assert (error.type, error.non_retryable) == ("ChannelUnavailable", False)
    assert error.message.startswith("SMTP timed out: ")


# ---- STARTTLS, TLS and AUTH, wired from settings ------------------------------------------------------


@pytest.fixture
async def secure(certificate: tuple[ssl.SSLContext, Path]) -> AsyncIterator[SmtpServer]:
    with SmtpServer(starttls=certificate[0], logins={"pager": "correct horse"}) as running:
        yield running


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


async def test_starttls_and_auth_from_settings(
    secure: SmtpServer, certificate: tuple[ssl.SSLContext, Path], http: httpx.AsyncClient, catalog: LoadedCatalog
) -> None:
    settings = secure_settings(secure.port, certificate[1])
    channels = build_channels(settings, http, catalog.catalog.users)

    result = await send("email", channels["email"], make_request("email", make_page(["kofi", "lena"])))

    assert settings.channels == list(channels) == ["email"]
    assert result.detail == "emailed kofi <kofi@ops.example>, lena <lena@ops.example>"
    assert [(mail.tls, mail.login, mail.rcpt_tos, mail.message["To"]) for mail in secure.received] == [
        (True, "pager", ["kofi@ops.example"], "Kofi Mensah <kofi@ops.example>"),
        (True, "pager", ["lena@ops.example"], "Lena Fischer <lena@ops.example>"),
    ]
    assert secure.received[0].peer == secure.received[1].peer  # one connection, one STARTTLS, one login
    assert "correct horse" not in repr(settings) and "correct horse" not in repr(channels["email"])


async def test_a_wrong_password_is_not_retried(
    secure: SmtpServer, certificate: tuple[ssl.SSLContext, Path], http: httpx.AsyncClient, catalog: LoadedCatalog
) -> None:
    channels = build_channels(secure_settings(secure.port, certificate[1], "wrong"), http, catalog.catalog.users)

    error = await send_failing("email", channels["email"], make_request("email"))

    assert (error.type, error.message, error.non_retryable) == (
        "ChannelRejected",
        "SMTP 535 5.7.8 Authentication credentials invalid",
        True,
    )
    assert secure.received == []


async def test_a_certificate_the_worker_cannot_verify_is_not_retried(
    secure: SmtpServer, http: httpx.AsyncClient, catalog: LoadedCatalog
) -> None:
    channels = build_channels(secure_settings(secure.port, None), http, catalog.catalog.users)

    error = await send_failing("email", channels["email"], make_request("email"))

    assert (error.type, error.non_retryable) == ("ChannelRejected", True)
    assert error.message.startswith("SMTP TLS failed: SSLCertVerificationError(")
    assert "self-signed certificate" in error.message
    assert secure.received == []


async def test_a_server_that_requires_starttls_refuses_plain_smtp(secure: SmtpServer) -> None:
    error = await send_failing("email", plain(secure.port), make_request("email"))

    assert (error.type, error.message, error.non_retryable) == (
        "ChannelRejected",
        "SMTP 530 Must issue a STARTTLS command first",
        True,
    )


async def test_implicit_tls(certificate: tuple[ssl.SSLContext, Path]) -> None:
    with SmtpServer(implicit_tls=certificate[0]) as server:
        trusted = ssl.create_default_context(cafile=str(certificate[1]))
        result = await send(
            "email", plain(server.port, security=SmtpSecurity.TLS, tls_context=trusted), make_request("email")
        )

        assert result.detail == "emailed amara <amara@shop.example>, chen <chen@shop.example>"
        assert [(mail.tls, mail.rcpt_tos) for mail in server.received] == [
            (True, ["amara@shop.example"]),
            (True, ["chen@shop.example"]),
        ]


# ---- settings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("security", "port"), [(SmtpSecurity.NONE, 25), (SmtpSecurity.STARTTLS, 587), (SmtpSecurity.TLS, 465)]
)
def test_the_port_follows_the_security_unless_set(security: SmtpSecurity, port: int) -> None:
    config = smtp_config(Settings(smtp_host="mail.shop.example", smtp_from=SENDER, smtp_security=security))

    assert config is not None
    assert (config.host, config.port, config.security, config.sender_address) == (
        "mail.shop.example",
        port,
        security,
        "incidents@shop.example",
    )
    assert (config.tls_context is None) is (security is SmtpSecurity.NONE)


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ca_file = self_signed(tmp_path)[1]
    for name, value in {
        "INCIDENTS_SMTP_HOST": "mail.shop.example",
        "INCIDENTS_SMTP_PORT": "2525",
        "INCIDENTS_SMTP_SECURITY": "starttls",
        "INCIDENTS_SMTP_USERNAME": "pager",
        "INCIDENTS_SMTP_PASSWORD": "correct horse",
        "INCIDENTS_SMTP_FROM": SENDER,
        "INCIDENTS_SMTP_TIMEOUT_SECONDS": "5",
        "INCIDENTS_SMTP_CA_FILE": str(ca_file),
        "INCIDENTS_SLACK_WEBHOOK_URL": "https://hooks.slack.example/services/T/B/C",
        "INCIDENTS_WEBHOOK_URL": "http://127.0.0.1:9/hooks",
        "INCIDENTS_WEBHOOKS": '[{"name": "ops", "url": "http://127.0.0.1:9/ops", "secret": "' + "o" * 32 + '"}]',
    }.items():
        monkeypatch.setenv(name, value)

    settings = Settings()
    config = smtp_config(settings)

    assert settings.channels == ["log", "webhook", "webhook:ops", "slack", "email"]
    assert config is not None
    assert (config.port, config.username, config.password, config.timeout) == (2525, "pager", "correct horse", 5.0)
    assert "correct horse" not in repr(config)


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (
            {"smtp_host": "mail.shop.example"},
            "INCIDENTS_SMTP_FROM must be the sender's address (e.g. incidents@shop.example) when INCIDENTS_SMTP_HOST "
            "is set",
        ),
        (
            {"smtp_host": "mail.shop.example", "smtp_from": "Incidents"},
            "INCIDENTS_SMTP_FROM must be the sender's address (e.g. incidents@shop.example) when INCIDENTS_SMTP_HOST "
            "is set",
        ),
        (
            {"smtp_host": " ", "smtp_from": SENDER},
            "INCIDENTS_SMTP_HOST is empty: name the SMTP server, or unset it to disable email",
        ),
        (
            {"smtp_host": "mail.shop.example", "smtp_from": SENDER, "smtp_username": "pager"},
            "INCIDENTS_SMTP_PASSWORD is missing: SMTP AUTH needs both INCIDENTS_SMTP_USERNAME and the password",
        ),
        (
            {"smtp_host": "mail.shop.example", "smtp_from": SENDER, "smtp_password": "secret"},
            "INCIDENTS_SMTP_USERNAME is missing: SMTP AUTH needs both INCIDENTS_SMTP_USERNAME and the password",
        ),
        (
            {
                "smtp_host": "mail.shop.example",
                "smtp_from": SENDER,
                "smtp_security": "none",
                "smtp_username": "pager",
                "smtp_password": "secret",
            },
            "INCIDENTS_SMTP_USERNAME is set but INCIDENTS_SMTP_SECURITY is none: the password would cross the network "
            "in clear text; use starttls or tls",
        ),
        (
            {"smtp_host": "mail.shop.example", "smtp_from": SENDER, "smtp_security": "none", "smtp_ca_file": "ca.pem"},
            "INCIDENTS_SMTP_CA_FILE is set but INCIDENTS_SMTP_SECURITY is none: use starttls or tls",
        ),
        (
            {"smtp_from": SENDER, "smtp_username": "pager"},
            "INCIDENTS_SMTP_FROM, INCIDENTS_SMTP_USERNAME set but INCIDENTS_SMTP_HOST is not: "
            "set the host to send email",
        ),
    ],
)
def test_misconfigured_email_names_the_setting(
    values: dict[str, object], problem: str, http: httpx.AsyncClient, catalog: LoadedCatalog
) -> None:
    with pytest.raises(ConfigError) as caught:
        build_channels(Settings.model_validate(values), http, catalog.catalog.users)

    assert str(caught.value) == problem
    assert "secret" not in str(caught.value)


def test_a_ca_file_that_cannot_be_read(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")

    for path in (missing, not_pem):
        with pytest.raises(ConfigError) as caught:
            smtp_config(Settings(smtp_host="mail.shop.example", smtp_from=SENDER, smtp_ca_file=path))
        assert str(caught.value).startswith(f"INCIDENTS_SMTP_CA_FILE: cannot load {path} as PEM certificates: ")


def test_a_bad_security_value_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"smtp_security\n  Input should be 'none', 'starttls' or 'tls'"):
        Settings.model_validate({"smtp_security": "ssl"})
