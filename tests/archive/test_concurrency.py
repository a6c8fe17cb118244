"""Two writers at once, each with its own engine (its own connections), as two workers closing incidents together:
50 distinct incidents and 10 that both document. Every record once, the chain whole."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import URL, text

from adapters.archive import ArchiveRepository, ArchiveResult, create_archive_engine
from tests.support.archive import closed

SHARED = list(range(51, 61))


def writer(url: URL, numbers: list[int], start: threading.Barrier) -> dict[int, ArchiveResult]:
    engine = create_archive_engine(url)
    try:
        repository = ArchiveRepository(engine)
        repository.check_schema()
        start.wait(timeout=30)
        return {number: repository.archive(closed(number)) for number in numbers}
    finally:
        engine.dispose()


def test_two_writers_archive_every_record_once_and_keep_the_chain(archive_url: URL) -> None:
    first, second = list(range(1, 26)) + SHARED, list(range(26, 51)) + SHARED
    random.Random(1).shuffle(first)
    random.Random(2).shuffle(second)
    start = threading.Barrier(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(writer, archive_url, numbers, start) for numbers in (first, second)]
        one, two = (future.result(timeout=120) for future in futures)

    engine = create_archive_engine(archive_url)
    try:
        repository = ArchiveRepository(engine)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT position, incident_id, kind FROM archived_records")).all()
        assert sorted(position for position, _, _ in rows) == list(range(1, 61))
        assert Counter(incident_id for _, incident_id, _ in rows) == Counter(f"INC-{n}" for n in range(1, 61))
        assert {kind for _, _, kind in rows} == {"record"}
        assert repository.verify() is None
        assert repository.summary().records == 60
    finally:
        engine.dispose()
    shared = [(one[n].position == two[n].position, one[n].created != two[n].created) for n in SHARED]
    assert shared == [(True, True)] * len(SHARED)
    assert [result.created for number, result in one.items() if number not in SHARED] == [True] * 25
    assert [result.created for number, result in two.items() if number not in SHARED] == [True] * 25
