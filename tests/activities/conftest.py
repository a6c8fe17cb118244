"""Fixtures for activity tests: a real HTTP receiver and a real httpx client, both closed after each test; the
worker's embedded archive in the test's directory."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from adapters.archive import ArchiveRepository, create_archive_engine, parse_database_url
from tests.support.receiver import Receiver
from tests.support.smtp_server import SmtpServer, self_signed
from worker import build_archive

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


@pytest.fixture
def archive_engine(tmp_path: Path) -> Iterator[Engine]:
    """The embedded archive a worker of these settings would use: a SQLite file not created yet."""
    engine = create_archive_engine(parse_database_url(f"sqlite:///{tmp_path / 'archive.db'}"))
    yield engine
    engine.dispose()


@pytest.fixture
def archive(archive_engine: Engine) -> ArchiveRepository:
    """The worker's archive on it (``build_archive``): migrated on first use."""
    return build_archive(archive_engine)
