"""What every route needs: the settings, the credentials, the Temporal client (connected on first use), the catalog."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from temporalio.client import Client

from adapters.archive.present import open_archive
from adapters.archive.repository import ArchiveRepository
from adapters.catalog_file import load_catalog
from adapters.incident_client import summary_line
from adapters.keyed_triggers import TriggerSender
from adapters.settings import Settings
from api.auth import Credentials
from domain.errors import ConfigError
from domain.messages.actions import TriggerRequest
from domain.models import IncidentReport
from domain.policy.catalog import Catalog

logger = logging.getLogger("incidents.api")

MAX_TRIGGER_PAYLOAD_BYTES = 64 * 1024
"""A trigger's payload goes into the incident's history with every trigger; a larger one is replaced by a stub."""
MAX_TRIGGER_PAYLOAD_DEPTH = 32

ClientSource = Client | Callable[[], Client | Awaitable[Client]]
"""A connected client, or something that makes one when first needed (so the API starts while Temporal is down)."""


class TemporalClient:
    """Hands out the Temporal client, connecting on first use; a failed connect is retried by the next request."""

    def __init__(self, source: ClientSource) -> None:
        self._source = source
        self._client = source if isinstance(source, Client) else None
        self._lock = asyncio.Lock()

    async def get(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                assert not isinstance(self._source, Client)
                made = self._source()
                self._client = await made if inspect.isawaitable(made) else made
            return self._client


@dataclass
class Gateway:
    """What every route needs: the settings, the credentials, the Temporal client, the catalog for summaries."""

    settings: Settings
    temporal: TemporalClient
    credentials: Credentials = field(repr=False)
    catalog: Catalog | None = None
    catalog_version: str = ""
    _sender: TriggerSender | None = field(default=None, repr=False)
    _archive: ArchiveRepository | None = field(default=None, repr=False)

    async def triggers(self) -> TriggerSender:
        """Folds triggers into incidents, one update in flight per key (a storm of duplicates rides few updates)."""
        client = await self.temporal.get()
        if self._sender is None:  # checked after the await: concurrent first callers share one sender
            self._sender = TriggerSender(client, self.settings.task_queue)
        return self._sender

    def archive(self) -> ArchiveRepository | None:
        """The incident archive, once there is one (the embedded file appears when the first incident is archived)."""
        if self._archive is None:
            self._archive = open_archive(self.settings)
        return self._archive

    def summary(self, report: IncidentReport) -> str:
        return summary_line(report, self.catalog, self.catalog_version)

    def incident_url(self, incident_id: str) -> str:
        return f"{str(self.settings.public_url).rstrip('/')}/v1/incidents/{incident_id}"

    @property
    def link_secrets(self) -> list[bytes]:
        secret = self.settings.link_secret
        return [secret.get_secret_value().encode()] if secret is not None and secret.get_secret_value() else []


def build_gateway(settings: Settings, client: ClientSource) -> Gateway:
    """The gateway; ``ConfigError`` when a responder token belongs to no user of the catalog (the API must not start:
    that token could never act, and whoever holds it would be told so only on their first action)."""
    gateway = Gateway(settings, TemporalClient(client), Credentials.from_settings(settings))
    try:
        loaded = load_catalog(settings.catalog_path)
    except ConfigError as error:
        logger.warning("%s; incident summaries show no priority", error)
    else:
        check_responders(settings, loaded.catalog)
        gateway.catalog, gateway.catalog_version = loaded.catalog, loaded.version
    return gateway


def check_responders(settings: Settings, catalog: Catalog) -> None:
    """Every responder token belongs to a user of the catalog, else ``ConfigError`` naming them and the variable."""
    unknown = sorted({entry.user for entry in settings.responder_tokens} - set(catalog.users))
    if unknown:
        names = ", ".join(repr(user) for user in unknown)
        which = f"user {names} is" if len(unknown) == 1 else f"users {names} are"
        raise ConfigError(
            f"INCIDENTS_RESPONDER_TOKENS: {which} not in the catalog ({settings.catalog_path}); "
            "add them to its users or remove their tokens"
        )


def bounded(trigger: TriggerRequest) -> TriggerRequest:
    """The trigger, its payload replaced by a stub when larger than ``MAX_TRIGGER_PAYLOAD_BYTES`` or nested deeper
    than ``MAX_TRIGGER_PAYLOAD_DEPTH`` (Temporal's converter refuses very deep values, which would wedge a batch)."""
    if _depth(trigger.payload) > MAX_TRIGGER_PAYLOAD_DEPTH:
        stub: dict[str, object] = {"truncated": True, "reason": f"nested deeper than {MAX_TRIGGER_PAYLOAD_DEPTH}"}
    else:
        size = len(json.dumps(trigger.payload, separators=(",", ":"), default=str).encode())
        if size <= MAX_TRIGGER_PAYLOAD_BYTES:
            return trigger
        stub = {"truncated": True, "reason": f"larger than {MAX_TRIGGER_PAYLOAD_BYTES} bytes ({size})"}
    return trigger.model_copy(update={"payload": stub | {"keys": sorted(trigger.payload)[:100]}})


def _depth(value: object) -> int:
    """How deeply lists and objects nest in a JSON value, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = list(item)
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest
