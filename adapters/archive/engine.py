"""The archive's database: INCIDENTS_DATABASE_URL parsed and checked, one engine for it, its errors translated.

PostgreSQL goes through psycopg 3; SQLite runs in WAL mode with foreign keys on, and its transactions begin
explicitly (the pysqlite driver's own transaction handling is off) so that an append can take the write lock first
with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError

from adapters.settings import Settings
from domain.errors import ArchiveUnavailable, ConfigError

VARIABLE = "INCIDENTS_DATABASE_URL"
EXPECTED = "postgresql://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH"
WRITE = "incidents_archive_write"
"""Execution option of the engine appends use: on SQLite their transaction begins IMMEDIATE (the write lock)."""
BUSY_TIMEOUT_SECONDS = 30.0
"""How long a SQLite writer waits for another one to commit."""
CONNECT_TIMEOUT_SECONDS = 10


def archive_url(settings: Settings) -> URL:
    """The archive's URL: INCIDENTS_DATABASE_URL, or the embedded SQLite file; ConfigError naming the variable."""
    if settings.database_url is None:
        return URL.create("sqlite+pysqlite", database=str(settings.embedded_archive))
    return parse_database_url(settings.database_url.get_secret_value())


def parse_database_url(text: str) -> URL:
    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError) as error:
        raise ConfigError(f"{VARIABLE} is not a database URL: expected {EXPECTED}") from error
    backend, _, driver = url.drivername.partition("+")
    shown = describe(url)
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise ConfigError(f"{VARIABLE} ({shown}) names the driver {driver!r}: use postgresql:// (psycopg 3)")
        if not url.database:
            raise ConfigError(f"{VARIABLE} ({shown}) names no database: expected {EXPECTED}")
        if url.port is not None and not 0 < url.port < 65536:
            raise ConfigError(f"{VARIABLE} ({shown}) has the port {url.port}, not one from 1 to 65535")
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise ConfigError(f"{VARIABLE} ({shown}) names the driver {driver!r}: use sqlite:///PATH")
        if url.database in (None, "", ":memory:"):
            raise ConfigError(f"{VARIABLE} ({shown}) names no file, and an in-memory archive would be lost: {EXPECTED}")
        return url.set(drivername="sqlite+pysqlite")
    raise ConfigError(f"{VARIABLE} ({shown}) names a {backend} database: the archive runs on PostgreSQL or SQLite")


def describe(url: URL) -> str:
    """The URL as messages show it: the password masked, the driver left out (``postgresql://u:***@host/name``)."""
    return url.set(drivername=url.drivername.partition("+")[0]).render_as_string(hide_password=True)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def create_archive_engine(url: URL) -> Engine:
    """The one engine of the process for the archive (its connection pool); ``dispose()`` it when done."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", _sqlite_connected)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connected(connection: sqlite3.Connection, _record: Any) -> None:
    connection.isolation_level = None  # transactions begin in _sqlite_begin, not when pysqlite guesses
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        _write_ahead_log(cursor)
    finally:
        cursor.close()


def _write_ahead_log(cursor: sqlite3.Cursor) -> None:
    """WAL mode, kept in the file once set. Switching a new file to it takes an exclusive lock that SQLite's busy
    timeout does not wait for, so several processes opening one new file at once take turns here."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def reachable(url: URL) -> Iterator[None]:
    """The driver's connection and operational errors as ArchiveUnavailable, one line, naming the database."""
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        detail = str(error.orig).strip().splitlines()[0] if error.orig is not None else type(error).__name__
        raise ArchiveUnavailable(f"the incident archive at {describe(url)} cannot be reached: {detail}") from error
