"""The archive's schema: one Alembic revision for both dialects, and a repository that refuses any other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, inspect, text

from adapters.archive import (
    SCHEMA_REVISION,
    ArchiveRepository,
    create_archive_engine,
    current_revisions,
    describe,
    parse_database_url,
    upgrade_archive,
)
from adapters.archive.models import Base, portable
from adapters.archive.schema import alembic_config
from domain.errors import ArchiveOutdated, ArchiveUnavailable
from tests.support.archive import closed
from tests.support.cli import clean_environment, free_port
from tests.support.settings import ROOT

EXTRAS = {"sqlite": {"archived_records_fts"}, "postgresql": set()}


def test_the_code_needs_the_head_revision() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [SCHEMA_REVISION]


def test_a_migration_from_empty_creates_what_the_models_and_search_need(empty_url: URL, dialect: str) -> None:
    engine = create_archive_engine(empty_url)
    try:
        assert (current_revisions(engine), upgrade_archive(engine)) == ((), SCHEMA_REVISION)
        assert (current_revisions(engine), upgrade_archive(engine)) == ((SCHEMA_REVISION,), SCHEMA_REVISION)
        tables = set(inspect(engine).get_table_names())
        assert {"alembic_version", "archived_records"} | EXTRAS[dialect] <= tables
        columns = {column["name"] for column in inspect(engine).get_columns("archived_records")}
        assert ("search_vector" in columns) == (dialect == "postgresql")
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": portable})
            assert compare_metadata(context, Base.metadata) == []
        repository = ArchiveRepository(engine)
        repository.archive(closed(1))
        assert [entry.incident_id for entry in repository.search("trouble")] == ["INC-1"]
    finally:
        engine.dispose()


def test_a_database_without_the_schema_is_refused(empty_url: URL, dialect: str) -> None:
    engine = create_archive_engine(empty_url)
    try:
        with pytest.raises(ArchiveOutdated) as refused:
            ArchiveRepository(engine).archive(closed(1))
    finally:
        engine.dispose()
    where = describe(empty_url)
    assert str(refused.value) == f"the incident archive at {where} has no schema yet: run `incidents archive upgrade`"
    if dialect == "sqlite":
        assert not Path(empty_url.database or "").exists()


def test_a_database_at_an_older_schema_is_refused(empty_url: URL) -> None:
    engine = create_archive_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            connection.execute(text("INSERT INTO alembic_version VALUES ('0000_prototype')"))
            connection.execute(text("CREATE TABLE archived_records (incident_id VARCHAR(100), content TEXT)"))
        for call in (lambda: ArchiveRepository(engine).get("INC-1"), lambda: ArchiveRepository(engine).verify()):
            with pytest.raises(ArchiveOutdated) as refused:
                call()
            assert str(refused.value) == (
                f"the incident archive at {describe(empty_url)} is at schema 0000_prototype, this version needs "
                "0002_stats: run `incidents archive upgrade`"
            )
        with pytest.raises(ArchiveOutdated) as cannot:
            upgrade_archive(engine)
        assert str(cannot.value) == (
            f"the incident archive at {describe(empty_url)} cannot be upgraded: Can't locate revision identified by "
            "'0000_prototype' (a schema this version of incident-pipeline does not know)"
        )
    finally:
        engine.dispose()


def test_a_downgraded_database_is_refused_until_upgraded_again(archive_url: URL) -> None:
    engine = create_archive_engine(archive_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert current_revisions(engine) == ()
        with pytest.raises(ArchiveOutdated, match="has no schema yet: run `incidents archive upgrade`"):
            ArchiveRepository(engine).summary()
        upgrade_archive(engine)
        assert ArchiveRepository(engine).archive(closed(1)).position == 1
    finally:
        engine.dispose()


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    port = free_port()
    url = parse_database_url(f"postgresql://archivist:s3cret@127.0.0.1:{port}/incidents")
    engine = create_archive_engine(url)
    try:
        with pytest.raises(ArchiveUnavailable) as unreachable:
            ArchiveRepository(engine).summary()
    finally:
        engine.dispose()
    message = str(unreachable.value)
    expected = f"the incident archive at postgresql://archivist:***@127.0.0.1:{port}/incidents cannot be reached: "
    assert (message.startswith(expected), "Connection refused" in message, "s3cret" in message) == (True, True, False)
    assert "\n" not in message


def test_the_alembic_command_line_migrates_the_database_of_the_settings(empty_url: URL) -> None:
    env = clean_environment(INCIDENTS_DATABASE_URL=empty_url.render_as_string(hide_password=False))
    alembic = Path(sys.executable).parent / "alembic"
    command = [str(alembic), "-c", str(ROOT / "adapters" / "archive" / "alembic.ini"), "upgrade", "head"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert "Running upgrade  -> 0001_archive, The incident archive" in done.stderr
    assert "Running upgrade 0001_archive -> 0002_stats, What ``incidents stats`` reads" in done.stderr
    engine = create_archive_engine(empty_url)
    try:
        assert current_revisions(engine) == (SCHEMA_REVISION,)
    finally:
        engine.dispose()
