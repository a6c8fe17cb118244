"""A real SMTP server for email tests: aiosmtpd on 127.0.0.1, optionally with STARTTLS or TLS and AUTH.

It records every message it accepted or refused, answers DATA with a scripted sequence of replies (250 once the
script runs out) and can refuse chosen recipients::

    with SmtpServer() as server:
        server.script("451 4.3.0 try again later", "250 OK")
        ... send to 127.0.0.1:server.port ...
        assert server.messages[0].message["Message-ID"] == ...

``self_signed(tmp_path)`` makes a certificate for 127.0.0.1 and localhost and returns the server's TLS context and
the PEM file a client must trust.
"""

from __future__ import annotations

import email
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from ipaddress import IPv4Address
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ACCEPTED = "250 2.0.0 OK: queued"


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    reply: str
    """What the server answered to DATA."""
    tls: bool
    """The conversation was encrypted (STARTTLS or TLS) when the message was sent."""
    login: str | None
    """Who authenticated, if anyone."""
    peer: str
    """The client's ``host:port``: messages with the same peer came over one connection."""

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def accepted(self) -> bool:
        return self.reply.startswith("2")


@dataclass
class _Handler:
    replies: list[str] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self.replies.pop(0) if self.replies else ACCEPTED
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        content = envelope.original_content or b""
        self.received.append(
            ReceivedMail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=content,
                reply=reply,
                tls=session.ssl is not None
                or (server.transport is not None and server.transport.get_extra_info("sslcontext") is not None),
                login=login,
                peer=":".join(str(part) for part in session.peer or ()),
            )
        )
        return reply


class SmtpServer:
    """``with SmtpServer(...) as server``: a running server in its own thread, stopped on exit."""

    def __init__(
        self,
        *,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        logins: dict[str, str] | None = None,
    ) -> None:
        self._handler = _Handler()
        self.port = free_port()
        options: dict[str, Any] = {}
        if starttls is not None:
            options.update(tls_context=starttls, require_starttls=True)
        if logins is not None:
            options.update(authenticator=_Authenticator(logins), auth_required=True)
        self._controller = Controller(
            self._handler,
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=implicit_tls,
            server_hostname="localhost",
            **options,
        )

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._controller.stop()

    def script(self, *replies: str) -> None:
        """Answer the next messages' DATA with these replies, in order."""
        self._handler.replies.extend(replies)

    def refuse(self, address: str, reply: str) -> None:
        """Answer RCPT TO for this address with ``reply`` (e.g. ``550 5.1.1 no such mailbox``)."""
        self._handler.refuse[address] = reply

    @property
    def received(self) -> list[ReceivedMail]:
        return self._handler.received


@dataclass(frozen=True)
class _Authenticator:
    logins: dict[str, str]

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and self.logins.get(data.login.decode()) == data.password.decode():
            return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def self_signed(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a fresh self-signed certificate, and the PEM file a client must trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path
