"""Where the project is, and the settings tests start from: the example catalog, records in the test's own
directory, a fresh task queue."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import yaml

from adapters.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent

SHIPPED_CATALOG = ROOT / "config" / "catalog.yaml"
"""The example catalog as shipped: a resolved incident stays open for its policy's reopen window (1 h)."""


def closing_at_once(source: Path, target: Path) -> Path:
    """``source`` with every escalation policy's ``reopen_window`` at 0s, no review and no status-update reminders,
    written to ``target``."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for policy in data["escalation_policies"].values():
        policy["reopen_window"] = "0s"
        policy["review"] = None
        policy["update_every"] = {}
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


EXAMPLE_CATALOG = closing_at_once(SHIPPED_CATALOG, Path(tempfile.mkdtemp(prefix="catalog-")) / "catalog.yaml")
"""The example catalog with no reopen window and no post-incident review: a resolved incident closes at once, so the
tests that resolve one and wait for its record need not wait an hour (on the dev server, a real one) or write a
review. The tests of what happens after the page use SHIPPED_CATALOG."""


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "catalog_path": EXAMPLE_CATALOG,
        "records_dir": tmp_path / "records",
        "task_queue": f"incidents-{uuid.uuid4()}",
    }
    values.update(overrides)
    return Settings.model_validate(values)
