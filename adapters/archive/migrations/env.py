"""Alembic's environment for the archive: the database comes from the same settings as the rest of the project.

``incidents archive upgrade`` passes its own connection (``config.attributes["connection"]``); the ``alembic``
command line reads INCIDENTS_DATABASE_URL (or uses the embedded SQLite file) through ``Settings``, as the worker does.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from adapters.archive.engine import archive_url, create_archive_engine
from adapters.archive.models import Base, portable
from adapters.settings import Settings

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """``alembic upgrade head --sql``: the SQL, printed for a DBA to run."""
    context.configure(
        url=archive_url(Settings()), target_metadata=target_metadata, literal_binds=True, include_object=portable
    )
    with context.begin_transaction():
        context.run_migrations()


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, compare_type=True, include_object=portable
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        _migrate(given)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = create_archive_engine(archive_url(Settings()))
    try:
        with engine.connect() as connection:
            _migrate(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
