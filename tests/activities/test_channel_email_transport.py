"""Email over SMTP: connecting, STARTTLS and implicit TLS, authentication, certificates, timeouts, and the settings
that configure it."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx
import pytest

from activities.channels.setup import build_channels, smtp_config
from adapters.catalog_file import LoadedCatalog
from adapters.settings import Settings, SmtpSecurity
from domain.errors import ConfigError
from tests.support.channel_pages import make_page, make_request, send, send_failing
from tests.support.email import SENDER, plain, secure_settings
from tests.support.smtp_server import SmtpServer, free_port, self_signed


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
