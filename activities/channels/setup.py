"""Settings → notification channels, by name. Every misconfiguration is a ConfigError naming the variable to fix.

Secrets are read here, once, and handed to the channels; they never travel in workflow or activity input.
"""

from __future__ import annotations

import ssl
from email.utils import parseaddr
from urllib.parse import urlsplit

import httpx

from activities.channels.base import Channel, Users
from activities.channels.email import EmailChannel, SmtpConfig
from activities.channels.log import LogChannel
from activities.channels.slack import SlackChannel
from activities.channels.webhook import WebhookChannel
from adapters.settings import SMTP_DEFAULT_PORTS, Settings, SmtpSecurity
from domain.errors import ConfigError

MIN_WEBHOOK_SECRET_BYTES = 32
"""A shorter HMAC key could be guessed offline from one signed request; ``openssl rand -hex 32`` makes one."""


def build_channels(settings: Settings, http: httpx.AsyncClient, users: Users) -> dict[str, Channel]:
    """Every configured channel under the name pages are addressed to (``Settings.channels``)."""
    channels: dict[str, Channel] = {}
    if settings.log_channel:
        channels["log"] = LogChannel()
    timeout = settings.webhook_timeout_seconds
    if settings.webhook_url is not None:
        secret = _webhook_secret(settings)
        channels["webhook"] = WebhookChannel(http, str(settings.webhook_url), timeout, secret=secret)
    elif settings.webhook_secret is not None:
        raise ConfigError("INCIDENTS_WEBHOOK_SECRET is set but INCIDENTS_WEBHOOK_URL is not: set both, or neither")
    for index, endpoint in enumerate(settings.webhooks):
        name = f"webhook:{endpoint.name}"
        if name in channels:
            raise ConfigError(f"INCIDENTS_WEBHOOKS.{index}.name: {endpoint.name!r} is used by an earlier webhook")
        secret = _secret_bytes(endpoint.secret.get_secret_value(), f"INCIDENTS_WEBHOOKS.{index}.secret")
        channels[name] = WebhookChannel(http, str(endpoint.url), timeout, secret=secret, name=name)
    if settings.slack_webhook_url is not None:
        channels["slack"] = SlackChannel(http, _slack_url(settings), users, timeout)
    smtp = smtp_config(settings)
    if smtp is not None:
        channels["email"] = EmailChannel(smtp, users)
    return channels


def _webhook_secret(settings: Settings) -> bytes | None:
    if settings.webhook_secret is None:
        return None
    return _secret_bytes(settings.webhook_secret.get_secret_value(), "INCIDENTS_WEBHOOK_SECRET")


def _secret_bytes(secret: str, variable: str) -> bytes:
    raw = secret.encode()
    if len(raw) < MIN_WEBHOOK_SECRET_BYTES:
        raise ConfigError(
            f"{variable} is {len(raw)} bytes long: "
            f"use at least {MIN_WEBHOOK_SECRET_BYTES} (e.g. `openssl rand -hex 32`)"
        )
    return raw


def _slack_url(settings: Settings) -> str:
    assert settings.slack_webhook_url is not None
    url = settings.slack_webhook_url.get_secret_value().strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        # never echo the value: the URL is the secret
        raise ConfigError("INCIDENTS_SLACK_WEBHOOK_URL is not an http(s) URL like https://hooks.slack.com/services/...")
    return url


def smtp_config(settings: Settings) -> SmtpConfig | None:
    """The email channel's SMTP settings, or None when INCIDENTS_SMTP_HOST is unset (and nothing else is)."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password is not None else None
    if settings.smtp_host is None:
        others = {
            "INCIDENTS_SMTP_FROM": settings.smtp_from,
            "INCIDENTS_SMTP_USERNAME": settings.smtp_username,
            "INCIDENTS_SMTP_PASSWORD": password,
            "INCIDENTS_SMTP_CA_FILE": settings.smtp_ca_file,
        }
        stray = [name for name, value in others.items() if value is not None]
        if stray:
            raise ConfigError(f"{', '.join(stray)} set but INCIDENTS_SMTP_HOST is not: set the host to send email")
        return None
    if not settings.smtp_host.strip():
        raise ConfigError("INCIDENTS_SMTP_HOST is empty: name the SMTP server, or unset it to disable email")
    if settings.smtp_from is None or "@" not in parseaddr(settings.smtp_from)[1]:
        raise ConfigError(
            "INCIDENTS_SMTP_FROM must be the sender's address (e.g. incidents@shop.example) when INCIDENTS_SMTP_HOST "
            "is set"
        )
    if (settings.smtp_username is None) != (password is None):
        missing = "INCIDENTS_SMTP_PASSWORD" if password is None else "INCIDENTS_SMTP_USERNAME"
        raise ConfigError(f"{missing} is missing: SMTP AUTH needs both INCIDENTS_SMTP_USERNAME and the password")
    plain = settings.smtp_security is SmtpSecurity.NONE
    if plain and settings.smtp_username is not None:
        raise ConfigError(
            "INCIDENTS_SMTP_USERNAME is set but INCIDENTS_SMTP_SECURITY is none: the password would cross the network "
            "in clear text; use starttls or tls"
        )
    if plain and settings.smtp_ca_file is not None:
        raise ConfigError("INCIDENTS_SMTP_CA_FILE is set but INCIDENTS_SMTP_SECURITY is none: use starttls or tls")
    return SmtpConfig(
        host=settings.smtp_host.strip(),
        port=settings.smtp_port or SMTP_DEFAULT_PORTS[settings.smtp_security],
        sender=settings.smtp_from,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=password,
        timeout=settings.smtp_timeout_seconds,
        tls_context=None if plain else _tls_context(settings),
    )


def _tls_context(settings: Settings) -> ssl.SSLContext:
    if settings.smtp_ca_file is None:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=str(settings.smtp_ca_file))
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(
            f"INCIDENTS_SMTP_CA_FILE: cannot load {settings.smtp_ca_file} as PEM certificates: {error}"
        ) from error
