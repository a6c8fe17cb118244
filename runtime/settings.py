"""Settings for the worker and the command line, from INCIDENTS_* environment variables.

Built once in ``main()``; secrets stay ``SecretStr`` and never travel as activity or workflow input.
Temporal's own connection settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_PROFILE, TLS, API key)
are read by ``temporalio.envconfig`` in ``runtime.temporal``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class IntegrationKind(StrEnum):
    ALERTMANAGER = "alertmanager"
    PAGERDUTY = "pagerduty"
    API = "api"


class Integration(BaseModel):
    """A monitoring system or service allowed to open incidents, with the key it must present."""

    name: str = Field(min_length=1, max_length=100)
    kind: IntegrationKind
    key: SecretStr
    """PagerDuty's ``routing_key``; for Alertmanager and the API a bearer token (or ``?key=`` in the URL)."""
    service: str | None = None
    """The service its incidents belong to when the payload names none."""


class ResponderToken(BaseModel):
    """A responder's API token: the bearer token that lets ``user`` act on incidents over HTTP."""

    user: str = Field(min_length=1)
    token: SecretStr


class EncryptionKey(BaseModel):
    """An AES-256-GCM key for payloads: ``key`` is base64 of 32 random bytes (``openssl rand -base64 32``)."""

    id: str = Field(min_length=1, max_length=100)
    """Stored beside every payload it encrypts, so it must stay the same as long as histories use the key."""
    key: SecretStr


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INCIDENTS_", extra="ignore")

    catalog_path: Path = Path(__file__).resolve().parent.parent / "config" / "catalog.yaml"
    """The service catalog: services, teams, escalation policies, SLAs."""
    records_dir: Path = Path("data/records")
    """Where closed incidents are documented (Markdown and JSON)."""
    task_queue: str = "incidents"
    max_cached_workflows: int = Field(default=10_000, ge=0, le=1_000_000)
    """Open incidents the worker keeps in memory (about 0.2 MiB each); one not cached is replayed from its history
    whenever a timer, an action or a query reaches it. Size it to the open incidents you expect."""
    webhook_url: AnyHttpUrl | None = None
    """Outbound webhook that receives every page as JSON; unset disables the channel."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=20)
    """The whole webhook call, connect to last byte; the notify activity itself times out after 30 s."""
    log_channel: bool = True
    """Write every page to the worker's log as well."""

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    public_url: AnyHttpUrl = AnyHttpUrl("http://localhost:8000")
    """Where people reach the API: the base of links in notifications."""
    integrations: list[Integration] = Field(default_factory=list)
    """JSON list in INCIDENTS_INTEGRATIONS: who may open incidents over HTTP, and with which key."""
    responder_tokens: list[ResponderToken] = Field(default_factory=list)
    """JSON list in INCIDENTS_RESPONDER_TOKENS: who may act on incidents over HTTP."""
    link_secret: SecretStr | None = None
    """Signs one-click acknowledge/resolve links; unset, notifications carry no links."""
    link_ttl_seconds: int = Field(default=24 * 3600, gt=0)
    auto_resolve_alerts: bool = True
    """An Alertmanager group whose alerts are all resolved resolves its incident (unless a responder took over)."""
    metrics_address: str | None = None
    """``host:port`` where the worker serves Prometheus metrics at ``/metrics`` (e.g. 127.0.0.1:9464); unset, none."""
    metrics_tags: dict[str, str] = Field(default_factory=dict)
    """JSON object in INCIDENTS_METRICS_TAGS: labels put on every metric, e.g. ``{"deployment": "prod"}``."""
    encryption_keys: list[EncryptionKey] = Field(default_factory=list)
    """JSON list in INCIDENTS_ENCRYPTION_KEYS: the first key encrypts payloads, every key decrypts; unset, no
    encryption."""
    codec_token: SecretStr | None = None
    """The bearer token ``incidents codec-server`` requires; unset, it answers anyone who can reach it."""

    @property
    def channels(self) -> list[str]:
        names = ["log"] if self.log_channel else []
        if self.webhook_url is not None:
            names.append("webhook")
        return names
