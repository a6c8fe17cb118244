"""``incidents archive``: migrate the archive's database, verify its chain, import the JSON records of a directory.

Exit codes: 0 done, 1 the archive refused or could not be reached (or its chain is broken), 2 bad input.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from adapters.archive import ArchiveRepository, archive_url, create_archive_engine, describe, upgrade_archive
from adapters.archive.files import read_record_files
from domain.errors import ArchiveError, ConfigError, InvalidRecord
from starter.console import fail, load_settings

archive_app = typer.Typer(
    help="The incident archive: every closed incident's record, append-only and chained.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@contextmanager
def _engine() -> Iterator[Engine]:
    """The archive's engine from the settings; its errors as ``error: ...`` lines."""
    try:
        engine = create_archive_engine(archive_url(load_settings()))
    except ConfigError as error:
        fail(str(error))
    try:
        yield engine
    except InvalidRecord as error:
        fail(str(error), code=2)
    except ArchiveError as error:
        fail(str(error))
    finally:
        engine.dispose()


@archive_app.command()
def upgrade() -> None:
    """Migrate the archive's database to this version's schema (alembic upgrade head); creates a SQLite file."""
    with _engine() as engine:
        revision = upgrade_archive(engine)
        typer.echo(f"the incident archive at {describe(engine.url)} is at schema {revision}")


@archive_app.command()
def verify() -> None:
    """Walk the chain from the first record; exit 1 naming the first record edited, deleted or reordered."""
    with _engine() as engine:
        repository = ArchiveRepository(engine)
        summary = repository.summary()
        broken = repository.verify(upto=summary.records)
    if broken is not None:
        fail(f"chain broken: {broken.describe()}")
    typer.echo(f"chain intact: {summary.records} records")
    typer.echo(f"head: {summary.head}")


@archive_app.command(name="import")
def import_command(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A records directory (INC-*.json files).")],
) -> None:
    """Import the JSON records a documentation step wrote; those already archived are skipped. All or nothing."""
    with _engine() as engine:
        records = read_record_files(directory)
        results = ArchiveRepository(engine).archive_all(records)
    created = [result for result in results if result.created]
    corrections = sum(1 for result in created if result.kind == "correction")
    typer.echo(
        f"imported {_count(len(created), 'record')} from {directory} "
        f"({len(results) - len(created)} already archived, {_count(corrections, 'correction')})"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
