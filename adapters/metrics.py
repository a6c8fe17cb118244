"""Prometheus metrics: a Temporal runtime whose exporter serves the SDK's and the project's metrics.

The SDK's own metrics carry the ``temporal_`` prefix (``temporal_workflow_completed``, ``temporal_request``); the
project's counters (``incidents_opened``, ``notification_failures``, ...) are exported under their own names.
"""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from adapters.settings import Settings
from domain.errors import ConfigError


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A runtime serving ``/metrics`` on INCIDENTS_METRICS_ADDRESS; None when metrics are not configured."""
    if settings.metrics_address is None:
        return None
    return prometheus_runtime(settings.metrics_address, settings.metrics_tags)


def prometheus_runtime(address: str, tags: dict[str, str] | None = None) -> Runtime:
    telemetry = TelemetryConfig(metrics=PrometheusConfig(bind_address=address), global_tags=tags or {})
    try:
        return Runtime(telemetry=telemetry)
    except Exception as error:  # the core raises a bare Exception for a bad or taken address
        raise ConfigError(
            f"INCIDENTS_METRICS_ADDRESS {address!r}: cannot serve metrics there ({error}); "
            "use host:port with a free port, e.g. 127.0.0.1:9464"
        ) from error
