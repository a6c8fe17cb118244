"""Full-text search, ranked the same on SQLite (FTS5, bm25) and PostgreSQL (tsvector, ts_rank)."""

from __future__ import annotations

import pytest

from adapters.archive import ArchiveRepository
from tests.support.archive import closed, incident_ids

FILLER = " ".join(["the dashboard team looked at every query plan and every index on the reporting cluster"] * 4)


def archived(repository: ArchiveRepository) -> None:
    repository.archive_all(
        [
            closed(
                1,
                title="Database replica lag on payments",
                description="The replica fell behind the primary; replica lag grew to minutes.",
                notes=["replica restarted"],
            ),
            closed(2, title="Checkout errors", notes=["the read replica was slow", "replica lag alarms fired"]),
            closed(
                3,
                service="dashboard",
                title="Slow dashboard",
                description=FILLER,
                root_cause="one of the replicas ran out of disk",
            ),
            closed(4, title="Login outage", summary="renewed the expired certificate", root_cause="certificate expiry"),
        ]
    )


SEARCHES = {
    "one word, ranked by weight and frequency": ("replica", ["INC-1", "INC-2", "INC-3"]),
    "every word must appear": ("replica lag", ["INC-1", "INC-2"]),
    "stemmed": ("replicas lagging", ["INC-1", "INC-2"]),
    "in the root cause": ("disk", ["INC-3"]),
    "in the resolution summary": ("renewed", ["INC-4"]),
    "in a note": ("alarms", ["INC-2"]),
    "case and punctuation are not syntax": ('"REPLICA" (lag)* -', ["INC-1", "INC-2"]),
    "stop words are left out": ("the replica lag for all of them", ["INC-1", "INC-2"]),
    "no match": ("kubernetes", []),
    "no word": ("!!! --", []),
    "only stop words": ("the and of", []),
}


@pytest.mark.parametrize("text, expected", SEARCHES.values(), ids=SEARCHES.keys())
def test_search(repository: ArchiveRepository, text: str, expected: list[str]) -> None:
    archived(repository)
    assert incident_ids(repository.search(text)) == expected


def test_the_limit_keeps_the_best(repository: ArchiveRepository) -> None:
    archived(repository)
    assert incident_ids(repository.search("replica", limit=2)) == ["INC-1", "INC-2"]


def test_equal_matches_put_the_latest_closed_first(repository: ArchiveRepository) -> None:
    repository.archive_all([closed(number, title="Queue backlog") for number in (3, 1, 2)])
    assert incident_ids(repository.search("backlog")) == ["INC-3", "INC-2", "INC-1"]


def test_only_the_latest_version_is_searched(repository: ArchiveRepository) -> None:
    archived(repository)
    repository.archive(closed(4, title="Login outage", summary="rotated the keys", root_cause="a leaked key"))
    assert (incident_ids(repository.search("certificate")), incident_ids(repository.search("leaked"))) == (
        [],
        ["INC-4"],
    )
    (found,) = repository.search("leaked")
    assert (found.position, found.kind, found.corrects) == (5, "correction", 4)
