"""The archive's schema: which Alembic revision a database is at, refusing one that is not this code's, and
``alembic upgrade head`` run in-process (``incidents archive upgrade``, ``incidents dev``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine

from adapters.archive.engine import WRITE, describe, is_sqlite, reachable
from adapters.archive.models import SCHEMA_REVISION
from domain.errors import ArchiveOutdated

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
UPGRADE = "run `incidents archive upgrade`"


def alembic_config(connection: Connection | None = None) -> Config:
    """The packaged alembic.ini; with ``connection``, the migrations run on it instead of INCIDENTS_DATABASE_URL."""
    config = Config(str(ALEMBIC_INI))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _sqlite_file_missing(engine: Engine) -> bool:
    return is_sqlite(engine.url) and not Path(engine.url.database or "").exists()


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions the database is stamped with: () for a database without the archive's schema."""
    if _sqlite_file_missing(engine):
        return ()
    with reachable(engine.url), engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


def check_schema(engine: Engine) -> None:
    """ArchiveOutdated unless the database is at ``SCHEMA_REVISION``; one line telling the user what to run."""
    found = current_revisions(engine)
    if found == (SCHEMA_REVISION,):
        return
    where = describe(engine.url)
    if not found:
        raise ArchiveOutdated(f"the incident archive at {where} has no schema yet: {UPGRADE}")
    raise ArchiveOutdated(
        f"the incident archive at {where} is at schema {', '.join(found)}, this version needs {SCHEMA_REVISION}: "
        + UPGRADE
    )


def upgrade_archive(engine: Engine) -> str:
    """Migrate the database to the head revision (creating a SQLite file and its directory); returns the revision."""
    if is_sqlite(engine.url):
        Path(engine.url.database or "").parent.mkdir(parents=True, exist_ok=True)
    try:
        # On SQLite the write lock first (BEGIN IMMEDIATE): two workers upgrading one new file take turns, and the
        # second finds it at the head instead of failing on a snapshot the first one's commit made stale.
        with reachable(engine.url), engine.execution_options(**{WRITE: True}).begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    except CommandError as error:
        raise ArchiveOutdated(
            f"the incident archive at {describe(engine.url)} cannot be upgraded: {error} "
            "(a schema this version of incident-pipeline does not know)"
        ) from error
    return SCHEMA_REVISION
