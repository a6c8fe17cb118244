"""The worker's archive on the embedded SQLite default: created on first use, once however many activities arrive
together, and safely when several worker processes open one new file at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine

import adapters.archive.repository
from adapters.archive import ArchiveResult, create_archive_engine, current_revisions, parse_database_url
from tests.support.archive import archived_rows, closed
from worker import build_archive


def first_use(engine: Engine, number: int, start: threading.Barrier) -> ArchiveResult:
    archive = build_archive(engine)
    start.wait(timeout=30)
    return archive.archive(closed(number))


def test_one_archive_used_by_eight_activities_at_once_is_upgraded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrades: list[str] = []
    real = adapters.archive.repository.upgrade_archive
    monkeypatch.setattr(adapters.archive.repository, "upgrade_archive", lambda e: upgrades.append("up") or real(e))
    engine = create_archive_engine(parse_database_url(f"sqlite:///{tmp_path / 'data' / 'archive.db'}"))
    try:
        archive = build_archive(engine)
        start = threading.Barrier(8)

        def document(number: int) -> int:
            start.wait(timeout=30)
            return archive.archive(closed(number)).position

        with ThreadPoolExecutor(max_workers=8) as pool:
            positions = sorted(pool.map(document, range(1, 9)))

        assert upgrades == ["up"]
        assert positions == list(range(1, 9))
        assert current_revisions(engine) == ("0002_stats",)
        assert archive.verify() is None
    finally:
        engine.dispose()


def test_three_workers_opening_one_new_file_at_once_each_find_the_schema(tmp_path: Path) -> None:
    url = parse_database_url(f"sqlite:///{tmp_path / 'archive.db'}")
    engines = [create_archive_engine(url) for _ in range(3)]  # three processes' own connections
    try:
        start = threading.Barrier(3)
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(first_use, engines, [1, 1, 1], [start] * 3))
        assert sorted((result.position, result.created) for result in results) == [(1, False), (1, False), (1, True)]
        assert [(position, incident_id, kind) for position, incident_id, kind, _ in archived_rows(engines[0])] == [
            (1, "INC-1", "record")
        ]
    finally:
        for engine in engines:
            engine.dispose()
