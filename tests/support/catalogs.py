"""Catalog variants for workflow tests: the example catalog with short delays, or with one policy edited."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.catalog_file import LoadedCatalog
from domain.policy.catalog import Catalog
from tests.support.settings import EXAMPLE_CATALOG


def fast_catalog(directory: Path, delay: str = "2s") -> Path:
    """payments-critical with three levels of ``delay`` each and no repeat; P1 SLAs long enough to stay quiet."""
    data = yaml.safe_load(EXAMPLE_CATALOG.read_text(encoding="utf-8"))
    policy = data["escalation_policies"]["payments-critical"]
    policy["repeat"] = 0
    for level in policy["levels"]:
        level["delay"] = delay
    data["sla"]["P1"] = {"acknowledge": "10m", "resolve": "1h"}
    path = directory / "fast-catalog.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def with_payments_policy(version: str, source: Path = EXAMPLE_CATALOG, **policy: object) -> LoadedCatalog:
    """``source`` loaded with the payments-critical policy's fields replaced by ``policy`` (as YAML would give them),
    under the catalog version ``version``."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["escalation_policies"]["payments-critical"].update(policy)
    return LoadedCatalog(Catalog.model_validate(data), version, source)
