"""The JSON records the document activity writes (``<records dir>/INC-….json``), read for ``incidents archive
import``: every file a record, or InvalidRecord naming the first that is not."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from domain.errors import InvalidRecord
from domain.views.record import IncidentRecord

PATTERN = "INC-*.json"
SHOWN_PROBLEMS = 3


def read_record_files(directory: Path) -> list[IncidentRecord]:
    """The records of ``directory`` in the order they closed (then by id), so the chain follows closing order."""
    if not directory.is_dir():
        raise InvalidRecord(f"{directory} is not a directory")
    records = [_read(path) for path in sorted(directory.glob(PATTERN))]
    return sorted(records, key=lambda record: (record.closed_at or record.opened_at, record.incident_id))


def _read(path: Path) -> IncidentRecord:
    try:
        return IncidentRecord.model_validate_json(path.read_bytes())
    except OSError as error:
        raise InvalidRecord(f"{path} cannot be read: {error.strerror or error}") from error
    except ValidationError as error:
        raise InvalidRecord(f"{path} is not an incident record: {_problems(error)}") from error


def _problems(error: ValidationError) -> str:
    """The first few problems, each naming its field: one line, even for a JSON file of something else entirely."""
    found = [
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}" if problem["loc"] else problem["msg"]
        for problem in error.errors()
    ]
    more = len(found) - SHOWN_PROBLEMS
    return "; ".join(found[:SHOWN_PROBLEMS]) + (f" (and {more} more)" if more > 0 else "")
