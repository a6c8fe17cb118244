"""INCIDENTS_DATABASE_URL: the embedded default, PostgreSQL through psycopg 3, and one line for a malformed URL that
never shows the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.archive import archive_url, create_archive_engine, current_revisions, describe, parse_database_url
from adapters.settings import Settings
from domain.errors import ConfigError
from starter.dev import dev_settings, prepare_archive
from tests.support.settings import make_settings


def test_unset_the_archive_is_a_sqlite_file_beside_the_records(tmp_path: Path) -> None:
    assert describe(archive_url(Settings(records_dir=Path("data/records")))) == "sqlite:///data/archive.db"
    elsewhere = Settings(records_dir=Path("/var/lib/incidents/records"))
    assert describe(archive_url(elsewhere)) == "sqlite:////var/lib/incidents/archive.db"


def test_the_url_is_a_secret_of_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENTS_DATABASE_URL", "postgresql://archivist:s3cret@db.internal:5432/incidents")
    settings = Settings()
    url = archive_url(settings)
    assert (url.drivername, url.username, url.password, url.host, url.port, url.database) == (
        "postgresql+psycopg",
        "archivist",
        "s3cret",
        "db.internal",
        5432,
        "incidents",
    )
    assert describe(url) == "postgresql://archivist:***@db.internal:5432/incidents"
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())


ACCEPTED = {
    "postgres://a:pw@h/db": "postgresql://a:***@h/db",
    "postgresql+psycopg://h/db": "postgresql://h/db",
    " sqlite:///relative/archive.db ": "sqlite:///relative/archive.db",
}


@pytest.mark.parametrize("given, shown", ACCEPTED.items())
def test_accepted_urls(given: str, shown: str) -> None:
    assert describe(parse_database_url(given)) == shown


MALFORMED = {
    "not a url": (
        "INCIDENTS_DATABASE_URL is not a database URL: expected postgresql://USER:PASSWORD@HOST:PORT/NAME or "
        "sqlite:///PATH"
    ),
    "postgresql://a:pw@h:port/db": (
        "INCIDENTS_DATABASE_URL is not a database URL: expected postgresql://USER:PASSWORD@HOST:PORT/NAME or "
        "sqlite:///PATH"
    ),
    "": (
        "INCIDENTS_DATABASE_URL is not a database URL: expected postgresql://USER:PASSWORD@HOST:PORT/NAME or "
        "sqlite:///PATH"
    ),
    "postgresql://a:pw@h:70000/db": (
        "INCIDENTS_DATABASE_URL (postgresql://a:***@h:70000/db) has the port 70000, not one from 1 to 65535"
    ),
    "postgresql://a:pw@h": (
        "INCIDENTS_DATABASE_URL (postgresql://a:***@h) names no database: expected "
        "postgresql://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH"
    ),
    "postgresql+psycopg2://a:pw@h/db": (
        "INCIDENTS_DATABASE_URL (postgresql://a:***@h/db) names the driver 'psycopg2': use postgresql:// (psycopg 3)"
    ),
    "mysql://a:pw@h/db": "INCIDENTS_DATABASE_URL (mysql://a:***@h/db) names a mysql database: "
    "the archive runs on PostgreSQL or SQLite",
    "sqlite://": (
        "INCIDENTS_DATABASE_URL (sqlite://) names no file, and an in-memory archive would be lost: "
        "postgresql://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH"
    ),
    "sqlite+aiosqlite:///a.db": "INCIDENTS_DATABASE_URL (sqlite:///a.db) names the driver 'aiosqlite': use sqlite:///PATH",
}


@pytest.mark.parametrize("given, message", MALFORMED.items())
def test_a_malformed_url_is_one_line_naming_the_variable(given: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        archive_url(Settings.model_validate({"database_url": given}))
    assert str(refused.value) == message
    assert "pw" not in str(refused.value)


def test_dev_migrates_its_embedded_archive_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("INCIDENTS_DATABASE_URL", "INCIDENTS_RECORDS_DIR"):
        monkeypatch.delenv(variable, raising=False)
    settings = dev_settings(Settings(), tmp_path / "data")
    expected = f"Archive in sqlite:///{tmp_path / 'data' / 'archive.db'} (schema 0002_stats)"
    assert (prepare_archive(settings), prepare_archive(settings)) == (expected, expected)
    engine = create_archive_engine(archive_url(settings))
    try:
        assert current_revisions(engine) == ("0002_stats",)
    finally:
        engine.dispose()


def test_dev_leaves_a_postgresql_archive_to_its_operator(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url="postgresql://nobody@127.0.0.1:1/never")
    assert prepare_archive(settings) is None
