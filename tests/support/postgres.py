"""A throwaway PostgreSQL cluster for the archive tests: ``initdb`` into a temporary directory, started on a free
port, listening on 127.0.0.1 only (and a socket in that directory), trust authentication, removed when stopped.

``initdb`` and ``pg_ctl`` refuse to run as root; as root they run as the ``postgres`` user (``runuser``) in a
directory it owns. The binaries come from the Debian package ``postgresql`` (``scripts/install-test-deps``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from tests.support.cli import free_port

SUPERUSER = "postgres"
START_TIMEOUT_SECONDS = 60
SETTINGS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50",)


def find_binaries() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has initdb."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(re.sub(r"\D", "", path.parent.parent.name) or 0),
    )
    if not found:
        raise AssertionError("PostgreSQL is not installed: run scripts/install-test-deps (Debian package postgresql)")
    return found[-1].parent


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", SUPERUSER, "--", *command] if os.geteuid() == 0 else command


@dataclass
class PostgresCluster:
    binaries: Path
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True)

    def create_database(self, template: str | None = None) -> str:
        """A new database (a copy of ``template`` if given); its name."""
        name = f"archive_{uuid.uuid4().hex[:12]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        with self._admin() as connection:
            connection.execute(statement)
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def pg_ctl(self, *arguments: str) -> None:
        command = _as_owner([str(self.binaries / "pg_ctl"), "-D", str(self.data), *arguments])
        subprocess.run(command, check=True, capture_output=True, timeout=START_TIMEOUT_SECONDS + 10)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} {' '.join(SETTINGS)}"
        log = self.directory / "server.log"
        self.pg_ctl("-o", options, "-l", str(log), "-w", "-t", str(START_TIMEOUT_SECONDS), "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def running(self) -> bool:
        command = _as_owner([str(self.binaries / "pg_ctl"), "-D", str(self.data), "status"])
        return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode == 0

    def remove(self) -> None:
        """Stop the cluster (unless a test left it stopped) and delete its directory."""
        try:
            if self.running():
                self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster() -> PostgresCluster:
    binaries = find_binaries()
    directory = Path(tempfile.mkdtemp(prefix="incidents-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(directory, SUPERUSER, SUPERUSER)
    cluster = PostgresCluster(binaries, directory, free_port())
    initdb = [str(binaries / "initdb"), "-D", str(cluster.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8"]
    try:
        subprocess.run(_as_owner([*initdb, "--locale=C", "--no-sync"]), check=True, capture_output=True, timeout=120)
        cluster.start()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return cluster
