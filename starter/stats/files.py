"""Read the closed incident records (``<id>.json``) that the document activity writes to the records directory."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from domain.models import format_validation_error
from domain.views.record import IncidentRecord


def load_records(records_dir: Path) -> list[IncidentRecord]:
    """Every readable record in ``records_dir``, by file name; a file that is not one is skipped with a warning."""
    records = []
    for path in sorted(records_dir.glob("*.json")):
        try:
            records.append(IncidentRecord.model_validate_json(path.read_bytes()))
        except OSError as error:
            _warn(path, error.strerror or str(error))
        except ValidationError as error:
            _warn(path, format_validation_error(error))
    return records


def _warn(path: Path, problem: str) -> None:
    typer.echo(f"warning: skipped {path}: {problem}", err=True)
