"""The API of ``incidents dev``: demo credentials when the environment configures none, and what to print about them.

Demo credentials are random for each run (``secrets.token_urlsafe``) and printed once, at start-up: an integration
of each kind (``demo-api``, ``demo-alertmanager``, ``demo-pagerduty``) unless INCIDENTS_INTEGRATIONS is set, a
responder token for every user of the catalog unless INCIDENTS_RESPONDER_TOKENS is set, and a link secret (never
printed) unless INCIDENTS_LINK_SECRET is set, so pages carry working one-click links. Credentials that come from the
environment are named, never printed.
"""

from __future__ import annotations

import secrets

from pydantic import AnyHttpUrl, SecretStr

from adapters.settings import Integration, IntegrationKind, ResponderToken, Settings
from domain.policy.catalog import Catalog

DEMO_INTEGRATIONS = (
    ("demo-api", IntegrationKind.API),
    ("demo-alertmanager", IntegrationKind.ALERTMANAGER),
    ("demo-pagerduty", IntegrationKind.PAGERDUTY),
)


def _secret() -> SecretStr:
    return SecretStr(secrets.token_urlsafe(32))


def with_demo_credentials(settings: Settings, catalog: Catalog, api_port: int) -> Settings:
    """``settings`` with demo credentials for whatever the environment left unset, and the API's public URL."""
    given = settings.model_fields_set
    update: dict[str, object] = {}
    if "integrations" not in given:
        update["integrations"] = [Integration(name=name, kind=kind, key=_secret()) for name, kind in DEMO_INTEGRATIONS]
    if "responder_tokens" not in given:
        update["responder_tokens"] = [ResponderToken(user=user, token=_secret()) for user in catalog.users]
    if "link_secret" not in given:
        update["link_secret"] = _secret()
    if "public_url" not in given:
        update["public_url"] = AnyHttpUrl(f"http://localhost:{api_port}")
    return settings.model_copy(update=update)


def api_lines(settings: Settings, environment: Settings, api_port: int) -> list[str]:
    """Where the API is, and the credentials to use it: demo ones in full, configured ones by name only."""
    base = f"http://{settings.api_host}:{api_port}"
    lines = [f"API on {base} (docs: {base}/docs)"]
    given = environment.model_fields_set
    if "integrations" in given:
        names = ", ".join(f"{item.name} ({item.kind.value})" for item in settings.integrations) or "none"
        lines.append(f"  integrations from INCIDENTS_INTEGRATIONS: {names}")
    else:
        for item in settings.integrations:
            key = item.key.get_secret_value()
            if item.kind is IntegrationKind.ALERTMANAGER:
                lines.append(f"  {item.name}: webhook_configs url {base}/v1/integrations/alertmanager/{key}")
            elif item.kind is IntegrationKind.PAGERDUTY:
                lines.append(f"  {item.name}: POST {base}/v2/enqueue with routing_key {key}")
            else:
                lines.append(f"  {item.name}: POST {base}/v1/incidents with Authorization: Bearer {key}")
    if "responder_tokens" in given:
        users = ", ".join(item.user for item in settings.responder_tokens) or "none"
        lines.append(f"  responder tokens from INCIDENTS_RESPONDER_TOKENS: {users}")
    else:
        lines.append("  responder tokens (Authorization: Bearer <token>):")
        lines += [f"    {item.user} {item.token.get_secret_value()}" for item in settings.responder_tokens]
    return lines
