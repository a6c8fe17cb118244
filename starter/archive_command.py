"""``incidents archive``: migrate the archive's database, verify its chain, import and export JSON records.

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
from adapters.record_files import write_record_files
from domain.errors import ArchiveError, ConfigError, InvalidRecord
from starter.console import fail, load_settings
from starter.stats.command import parse_moment

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


def export_command(
    directory: Annotated[Path, typer.Option("--dir", help="Where to write <id>.md and <id>.json.")],
    incident_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="One incident; else every one opened in --since/--until.")
    ] = None,
    since: Annotated[str | None, typer.Option(metavar="ISO-TIME", help="First instant (opened_at >= since).")] = None,
    until: Annotated[str | None, typer.Option(metavar="ISO-TIME", help="End, excluded (opened_at < until).")] = None,
) -> None:
    """Write archived records as the documentation step did: Markdown for people, JSON for machines."""
    if (incident_id is None) == (since is None or until is None):
        fail("give an incident id, or both --since and --until", code=2)
    with _engine() as engine:
        repository = ArchiveRepository(engine)
        if incident_id is not None:
            record = repository.get(incident_id)
            if record is None:
                fail(f"no incident {incident_id!r} in the archive")
            records = [record]
        else:
            assert since is not None and until is not None
            records = repository.opened_between(parse_moment("--since", since), parse_moment("--until", until))
    for record in records:
        write_record_files(directory, record)
    typer.echo(f"exported {_count(len(records), 'record')} to {directory}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
