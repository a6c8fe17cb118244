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

from domain.policy.notification_retries import LONGEST_CHANNEL_CALL


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


class WebhookEndpoint(BaseModel):
    """Another webhook, from INCIDENTS_WEBHOOKS: its own channel ``webhook:<name>``, signed with ``secret``."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=50)
    url: AnyHttpUrl
    secret: SecretStr


class SmtpSecurity(StrEnum):
    NONE = "none"
    """Plain SMTP, e.g. a relay on the same host (port 25); no AUTH allowed."""
    STARTTLS = "starttls"
    """Connect in plain text, then upgrade with STARTTLS before anything else is said (port 587)."""
    TLS = "tls"
    """TLS from the first byte, "SMTPS" (port 465)."""


SMTP_DEFAULT_PORTS = {SmtpSecurity.NONE: 25, SmtpSecurity.STARTTLS: 587, SmtpSecurity.TLS: 465}


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
    """Where Markdown and JSON records are exported (``incidents export``, and the worker with ``export_records``);
    the embedded archive's default place is beside it."""
    export_records: bool = False
    """INCIDENTS_EXPORT_RECORDS: the worker that documents an incident also writes its Markdown and JSON into
    ``records_dir`` on its own disk (the archive stays the store)."""
    database_url: SecretStr | None = None
    """INCIDENTS_DATABASE_URL: the incident archive, ``postgresql://user:password@host:5432/name`` (psycopg 3) or
    ``sqlite:///path/archive.db``; unset, the SQLite file ``archive.db`` beside the records directory
    (``data/archive.db``). A secret: it may carry a password (``adapters.archive.archive_url`` parses it)."""
    task_queue: str = "incidents"
    max_cached_workflows: int = Field(default=10_000, ge=0, le=1_000_000)
    """Open incidents the worker keeps in memory (about 0.2 MiB each); one not cached is replayed from its history
    whenever a timer, an action or a query reaches it. Size it to the open incidents you expect."""
    max_concurrent_workflow_tasks: int = Field(default=10, ge=2, le=1_000)
    """Workflow tasks the worker runs at once. Python runs one at a time (the GIL): more only makes each one take
    longer, and one that takes 2 s is failed by the SDK's deadlock detector. See docs/benchmarks.md."""
    sticky_schedule_to_start_timeout_seconds: float = Field(default=1.0, gt=0, le=60)
    """How long an incident's next task waits for the worker that has it cached before any worker may take it: after
    a worker dies, the failover delay of every incident it held. Too low, and a busy worker (a GC pause, a burst of
    timers) loses tasks to the normal queue, where they are replayed from history. See docs/decisions.md."""
    webhook_url: AnyHttpUrl | None = None
    """Outbound webhook that receives every page as JSON; unset disables the channel."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=LONGEST_CHANNEL_CALL.total_seconds())
    """The whole webhook (or Slack) call, connect to last byte; the attempt itself times out after
    ``domain.policy.notification_retries.ATTEMPT_TIMEOUT``, a little more than the largest value allowed here."""
    log_channel: bool = True
    """Write every page to the worker's log as well."""
    webhook_secret: SecretStr | None = None
    """Signs every request to INCIDENTS_WEBHOOK_URL (``Incident-Signature``); unset, its requests are not signed."""
    webhooks: list[WebhookEndpoint] = Field(default_factory=list)
    """JSON list in INCIDENTS_WEBHOOKS: more signed webhooks, ``[{"name": "ops", "url": ..., "secret": ...}]``."""
    slack_webhook_url: SecretStr | None = None
    """A Slack (or Slack-compatible) incoming webhook URL; the URL itself is the secret. Unset disables Slack."""
    smtp_host: str | None = None
    """The SMTP server for the email channel; unset disables email."""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    """Unset: 587 with starttls, 465 with tls, 25 with none."""
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None
    """The From of every email, ``incidents@shop.example`` or ``Incidents <incidents@shop.example>``."""
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=LONGEST_CHANNEL_CALL.total_seconds())
    """The whole SMTP conversation, every recipient; the attempt itself times out after
    ``domain.policy.notification_retries.ATTEMPT_TIMEOUT``."""
    smtp_ca_file: Path | None = None
    """PEM file of the authorities that may sign the SMTP server's certificate, instead of the system's."""

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """How long the API waits for a request's whole body once its headers arrived; then 408 and the connection is
    closed (a client that declares a Content-Length and stalls would otherwise hold it forever)."""
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
    def embedded_archive(self) -> Path:
        """The SQLite file of the archive when INCIDENTS_DATABASE_URL is unset."""
        return self.records_dir.parent / "archive.db"

    @property
    def channels(self) -> list[str]:
        names = ["log"] if self.log_channel else []
        if self.webhook_url is not None:
            names.append("webhook")
        names += [f"webhook:{endpoint.name}" for endpoint in self.webhooks]
        if self.slack_webhook_url is not None:
            names.append("slack")
        if self.smtp_host is not None:
            names.append("email")
        return names
