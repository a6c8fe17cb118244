"""Reading the catalog YAML: every error names the file, the path inside it and what is wrong."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import ValidationError

from domain.errors import ConfigError
from domain.policy.catalog import Catalog


class LoadedCatalog:
    def __init__(self, catalog: Catalog, version: str, path: Path) -> None:
        self.catalog, self.version, self.path = catalog, version, path


def load_catalog(path: Path) -> LoadedCatalog:
    """Parse and validate the catalog; its version is the declared one plus a digest of the file."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the catalog: {error.strerror or error}") from error
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the catalog must be a mapping with version, defaults, users, teams, ...")
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{path}: " + "; ".join(_problems(error))) from error
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return LoadedCatalog(catalog, f"{catalog.version}+{digest}", path)


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return problems
