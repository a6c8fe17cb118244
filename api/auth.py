"""Who is calling: integrations (monitoring, services) by key, responders by token.

- ``Authorization: Bearer <secret>`` everywhere; Alertmanager may put its key in the URL instead
  (``/v1/integrations/alertmanager/<key>``); PagerDuty sends its ``routing_key`` in the event.
- No credentials: 401 with ``WWW-Authenticate: Bearer``. Credentials that match nothing allowed on the route: 403.
- Secrets are compared with ``hmac.compare_digest`` against every configured secret (no early exit), and never
  logged or echoed.
- A responder acts as the user its token belongs to; no request body can name another actor. A report's
  ``reporter`` is the caller too (``Caller.principal``); its body may only add ``on_behalf_of`` text.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Literal

from fastapi import HTTPException, Request

from adapters.settings import Integration, IntegrationKind, Settings

MISSING = "missing credentials: send Authorization: Bearer <token>"
WRONG = "these credentials are not allowed here"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="incidents"'}


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: an integration (by name) or a responder (by user id)."""

    kind: Literal["integration", "responder"]
    name: str

    @property
    def principal(self) -> str:
        """Who the caller is on an incident: the responder's user id, or ``api:<integration>`` (as Alertmanager's
        reports come from ``alertmanager:<integration>`` and PagerDuty's from ``pagerduty:<integration>``)."""
        return self.name if self.kind == "responder" else f"{IntegrationKind.API.value}:{self.name}"


def _matches(secret: str, candidate: bytes) -> bool:
    return hmac.compare_digest(secret.encode(), candidate)


@dataclass(frozen=True)
class Credentials:
    """The configured keys and tokens, read once from the settings."""

    integrations: list[Integration] = field(repr=False)
    responders: list[tuple[str, str]] = field(repr=False)
    """(user, token)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        tokens = [(entry.user, entry.token.get_secret_value()) for entry in settings.responder_tokens]
        return cls(integrations=list(settings.integrations), responders=tokens)

    def integration(self, key: str, kind: IntegrationKind) -> Integration | None:
        """The integration of ``kind`` whose key is ``key``; every key is compared, whatever matches first."""
        candidate = key.encode()
        found = None
        for integration in self.integrations:
            if _matches(integration.key.get_secret_value(), candidate) and integration.kind is kind and found is None:
                found = integration
        return found

    def responder(self, token: str) -> str | None:
        candidate = token.encode()
        found = None
        for user, secret in self.responders:
            if _matches(secret, candidate) and found is None:
                found = user
        return found


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None when the header is absent, another scheme or empty."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def missing() -> HTTPException:
    return HTTPException(401, MISSING, headers=_CHALLENGE)


def wrong() -> HTTPException:
    return HTTPException(403, WRONG)


def require_token(request: Request) -> str:
    token = bearer_token(request)
    if token is None:
        raise missing()
    return token


def responder(credentials: Credentials, request: Request) -> str:
    """The acting user: the owner of the bearer token."""
    user = credentials.responder(require_token(request))
    if user is None:
        raise wrong()
    return user


def reporter(credentials: Credentials, request: Request) -> Caller:
    """Who may report an incident: an integration of kind ``api``, or any responder."""
    token = require_token(request)
    integration = credentials.integration(token, IntegrationKind.API)
    if integration is not None:
        return Caller("integration", integration.name)
    user = credentials.responder(token)
    if user is not None:
        return Caller("responder", user)
    raise wrong()


def integration(credentials: Credentials, kind: IntegrationKind, key: str | None) -> Integration:
    """The integration of ``kind`` for a key given in the URL or, when that is None, the bearer token."""
    if key is None or not key:
        raise missing()
    found = credentials.integration(key, kind)
    if found is None:
        raise wrong()
    return found
