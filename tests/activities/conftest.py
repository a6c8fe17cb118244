"""Fixtures for activity tests: a real HTTP receiver and a real httpx client, both closed after each test."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.receiver import Receiver
from tests.support.smtp_server import SmtpServer, self_signed

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


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def secure(certificate: tuple[ssl.SSLContext, Path]) -> AsyncIterator[SmtpServer]:
    with SmtpServer(starttls=certificate[0], logins={"pager": "correct horse"}) as running:
        yield running
