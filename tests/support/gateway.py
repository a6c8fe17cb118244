"""The gateway under test: its credentials, the settings it runs with, a client for it, and questions about what
it started."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from adapters.keyed_triggers import keyed_incident_id
from adapters.settings import Settings
from tests.support.reports import PAYMENTS
from tests.support.settings import make_settings

API_KEY = "api-key-" + "a" * 24


ALERTMANAGER_KEY = "am-key-" + "b" * 24


PAGERDUTY_KEY = "pd" + "c" * 30


RESPONDERS = {"amara": "token-amara-" + "d" * 20, "bruno": "token-bruno-" + "e" * 20}
"""Responder tokens of users of the catalog (a token for anyone else keeps the API from starting)."""


LINK_SECRET = "link-secret-" + "f" * 40


PUBLIC_URL = "https://incidents.example"


VISIBILITY_TIMEOUT = 10.0


PAYMENTS_REPORT: dict[str, Any] = PAYMENTS.model_dump(
    mode="json", include={"title", "service", "category", "source", "impact", "urgency"}
)
"""A report's body: no ``reporter``, which is whoever the credentials belong to."""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def gateway_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "public_url": PUBLIC_URL,
        "integrations": [
            {"name": "checkout", "kind": "api", "key": API_KEY},
            {"name": "prometheus", "kind": "alertmanager", "key": ALERTMANAGER_KEY, "service": "shop-payments"},
            {"name": "datadog", "kind": "pagerduty", "key": PAGERDUTY_KEY},
        ],
        "responder_tokens": [{"user": user, "token": token} for user, token in RESPONDERS.items()],
        "link_secret": LINK_SECRET,
    }
    values.update(overrides)
    return make_settings(tmp_path, **values)


@dataclass
class Api:
    """The app, an HTTP client for it, and the Temporal client and task queue behind it."""

    app: FastAPI
    http: httpx.AsyncClient
    client: Client
    settings: Settings

    @property
    def task_queue(self) -> str:
        return self.settings.task_queue


async def count_started(client: Client, task_queue: str) -> int:
    counted = await client.count_workflows(f"TaskQueue = '{task_queue}'")
    return counted.count


async def started_once_visible(client: Client, task_queue: str, at_least: int) -> int:
    """The number of incidents on the queue, once visibility shows at least ``at_least`` of them."""
    deadline = asyncio.get_running_loop().time() + VISIBILITY_TIMEOUT
    while True:
        count = await count_started(client, task_queue)
        if count >= at_least or asyncio.get_running_loop().time() > deadline:
            return count
        await asyncio.sleep(0.1)


async def exists(client: Client, incident_id: str) -> bool:
    try:
        await client.get_workflow_handle(incident_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


def keyed_id(dedup_key: str, number: int = 1) -> str:
    return keyed_incident_id(dedup_key, number)


async def terminate_running(client: Client, task_queue: str) -> None:
    async for execution in client.list_workflows(f"TaskQueue = '{task_queue}'"):
        if execution.status == WorkflowExecutionStatus.RUNNING:
            await client.get_workflow_handle(execution.id).terminate("test finished")


def new_key() -> str:
    return uuid.uuid4().hex


AMARA = bearer(RESPONDERS["amara"])
