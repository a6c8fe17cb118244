"""Settings for the worker and the command line, from INCIDENTS_* environment variables.

Built once in ``main()``; secrets stay ``SecretStr`` and never travel as activity or workflow input.
Temporal's own connection settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_PROFILE, TLS, API key)
are read by ``temporalio.envconfig`` in ``runtime.temporal``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AnyHttpUrl, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INCIDENTS_", extra="ignore")

    catalog_path: Path = Path(__file__).resolve().parent.parent / "config" / "catalog.yaml"
    """The service catalog: services, teams, escalation policies, SLAs."""
    records_dir: Path = Path("data/records")
    """Where closed incidents are documented (Markdown and JSON)."""
    task_queue: str = "incidents"
    webhook_url: AnyHttpUrl | None = None
    """Outbound webhook that receives every page as JSON; unset disables the channel."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=20)
    """The whole webhook call, connect to last byte; the notify activity itself times out after 30 s."""
    log_channel: bool = True
    """Write every page to the worker's log as well."""

    @property
    def channels(self) -> list[str]:
        names = ["log"] if self.log_channel else []
        if self.webhook_url is not None:
            names.append("webhook")
        return names
