"""Fixtures of the archive tests: every repository test runs on SQLite and on a real PostgreSQL.

One throwaway PostgreSQL cluster serves the session (``tests.support.postgres``); a migrated database in it is the
template that each test's own database is copied from. SQLite databases are files in the test's directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import URL, Engine

from adapters.archive import ArchiveRepository, create_archive_engine, parse_database_url, upgrade_archive
from tests.support.postgres import PostgresCluster, start_cluster

DIALECTS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = start_cluster()
    yield cluster
    cluster.remove()


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresCluster) -> str:
    """A database at the head schema, copied for each test (CREATE DATABASE … TEMPLATE)."""
    name = postgres.create_database()
    engine = create_archive_engine(parse_database_url(postgres.url(name)))
    upgrade_archive(engine)
    engine.dispose()
    return name


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def _database(request: pytest.FixtureRequest, dialect: str, tmp_path: Path, migrated: bool) -> Iterator[URL]:
    if dialect == "sqlite":
        yield parse_database_url(f"sqlite:///{tmp_path / 'archive.db'}")
        return
    postgres: PostgresCluster = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template") if migrated else None
    name = postgres.create_database(template=template)
    yield parse_database_url(postgres.url(name))
    postgres.drop_database(name)


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, dialect: str, tmp_path: Path) -> Iterator[URL]:
    """A database without the archive's schema (SQLite: a file not created yet)."""
    yield from _database(request, dialect, tmp_path, migrated=False)


@pytest.fixture
def archive_url(request: pytest.FixtureRequest, dialect: str, tmp_path: Path) -> Iterator[URL]:
    """A database at the head schema."""
    for url in _database(request, dialect, tmp_path, migrated=True):
        if dialect == "sqlite":
            engine = create_archive_engine(url)
            upgrade_archive(engine)
            engine.dispose()
        yield url


@pytest.fixture
def engine(archive_url: URL) -> Iterator[Engine]:
    created = create_archive_engine(archive_url)
    yield created
    created.dispose()


@pytest.fixture
def repository(engine: Engine) -> ArchiveRepository:
    return ArchiveRepository(engine)


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    """A cluster of the test's own, for a test that stops and starts it (the session's serves every other test)."""
    cluster = start_cluster()
    yield cluster
    cluster.remove()
