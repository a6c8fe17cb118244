"""Write the incident record: Markdown for people, JSON for machines. The same record gives the same files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from temporalio import activity

from domain.messages.steps import DocumentResult
from domain.views.record import IncidentRecord, render_markdown


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


class DocumentActivities:
    def __init__(self, records_dir: Path) -> None:
        self._records_dir = records_dir

    @activity.defn(name="document_incident")
    async def document_incident(self, record: IncidentRecord) -> DocumentResult:
        self._records_dir.mkdir(parents=True, exist_ok=True)
        markdown = self._records_dir / f"{record.incident_id}.md"
        machine = self._records_dir / f"{record.incident_id}.json"
        _write_atomically(markdown, render_markdown(record))
        _write_atomically(machine, record.model_dump_json(indent=2) + "\n")
        return DocumentResult(markdown_path=str(markdown), json_path=str(machine))
