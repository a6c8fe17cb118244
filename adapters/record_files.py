"""A closed incident's record as files: Markdown for people, JSON for machines. The same record gives the same files,
written atomically (a reader never sees half of one)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from domain.views.record import IncidentRecord, render_markdown


def write_record_files(directory: Path, record: IncidentRecord) -> tuple[Path, Path]:
    """``<id>.md`` and ``<id>.json`` in ``directory`` (created if missing); the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    markdown = directory / f"{record.incident_id}.md"
    machine = directory / f"{record.incident_id}.json"
    _write_atomically(markdown, render_markdown(record))
    _write_atomically(machine, record.model_dump_json(indent=2) + "\n")
    return markdown, machine


def _write_atomically(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)  # records are for people and tools to read, not only the worker
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
