"""Where the project is, and the settings tests start from: the example catalog, records in the test's own
directory, a fresh task queue."""

from __future__ import annotations

import uuid
from pathlib import Path

from adapters.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent


EXAMPLE_CATALOG = ROOT / "config" / "catalog.yaml"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "catalog_path": EXAMPLE_CATALOG,
        "records_dir": tmp_path / "records",
        "task_queue": f"incidents-{uuid.uuid4()}",
    }
    values.update(overrides)
    return Settings.model_validate(values)
