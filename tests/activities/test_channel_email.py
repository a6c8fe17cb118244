"""Email against a real SMTP server (aiosmtpd): recipients, headers, MIME parts, STARTTLS/TLS, AUTH, every outcome."""

from __future__ import annotations

import pytest

from activities.channels.email import EmailChannel, SmtpConfig, message_id
from adapters.settings import SmtpSecurity
from tests.support.channel_pages import INCIDENT_ID, TEXT, USERS, make_page, make_request, send, send_failing, signer
from tests.support.email import HTML, KEY, MESSAGE_IDS, NOW, SENDER, parts, plain
from tests.support.smtp_server import ACCEPTED, SmtpServer

pytestmark = pytest.mark.filterwarnings(
    # aiosmtpd itself sets its deprecated Session.login_data on every successful AUTH
    "ignore:Session.login_data is deprecated:DeprecationWarning"
)


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


# ---- STARTTLS, TLS and AUTH, wired from settings ------------------------------------------------------


# ---- settings -----------------------------------------------------------------------------------------
