"""Fixtures for activity tests: a real HTTP receiver and a real httpx client, both closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.receiver import Receiver

CLIENT_TIMEOUT = httpx.Timeout(2.0)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """Configured like the worker's client: no redirects followed, explicit timeout."""
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, follow_redirects=False) as client:
        yield client
