"""The closed list: newest first, filtered, in keyset pages whose cursor holds across appends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.archive import ArchiveRepository, ClosedFilters
from domain.errors import InvalidCursor
from domain.models import Priority
from tests.support.archive import closed, closed_at, incident_ids

SERVICES = {1: "dashboard", 4: "dashboard", 7: "dashboard", 10: "dashboard"}


def twelve(repository: ArchiveRepository) -> None:
    """INC-1 … INC-12, INC-n closed n hours after the start; four of them dashboard incidents of team data, P3."""
    records = []
    for number in range(1, 13):
        service = SERVICES.get(number, "shop-payments")
        team, priority = ("data", Priority.P3) if service == "dashboard" else ("payments", Priority.P2)
        records.append(closed(number, service=service, team=team, priority=priority))
    repository.archive_all(records)


def ids(*numbers: int) -> list[str]:
    return [f"INC-{number}" for number in numbers]


def test_pages_run_newest_first_and_end_without_a_cursor(repository: ArchiveRepository) -> None:
    twelve(repository)
    first = repository.list_closed(limit=5)
    second = repository.list_closed(after=first.next, limit=5)
    last = repository.list_closed(after=second.next, limit=5)
    pages = [incident_ids(page.entries) for page in (first, second, last)]
    assert pages == [ids(12, 11, 10, 9, 8), ids(7, 6, 5, 4, 3), ids(2, 1)]
    assert (first.next is not None, second.next is not None, last.next) == (True, True, None)
    exact = repository.list_closed(limit=12)
    assert (len(exact.entries), exact.next) == (12, None)


def test_an_entry_carries_the_query_columns(repository: ArchiveRepository) -> None:
    twelve(repository)
    (entry,) = repository.list_closed(limit=1).entries
    assert entry.model_dump() == {
        "position": 12,
        "kind": "record",
        "corrects": None,
        "incident_id": "INC-12",
        "title": "shop-payments trouble number 12",
        "service": "shop-payments",
        "team": "payments",
        "priority": Priority.P2,
        "category": "application_error",
        "opened_at": closed_at(12) - timedelta(minutes=40),
        "closed_at": closed_at(12),
        "mtta_seconds": 300.0,
        "mttr_seconds": 2400.0,
        "sla_breached": False,
    }


FILTERS = {
    "service": (ClosedFilters(service="dashboard"), ids(10, 7, 4, 1)),
    "team": (ClosedFilters(team="payments"), ids(12, 11, 9, 8, 6, 5, 3, 2)),
    "priority": (ClosedFilters(priority=Priority.P3), ids(10, 7, 4, 1)),
    "since, until excluded": (ClosedFilters(since=closed_at(4), until=closed_at(8)), ids(7, 6, 5, 4)),
    "all at once": (ClosedFilters(service="dashboard", since=closed_at(2), until=closed_at(10)), ids(7, 4)),
    "nothing matches": (ClosedFilters(service="dashboard", team="payments"), []),
}


@pytest.mark.parametrize("filters, expected", FILTERS.values(), ids=FILTERS.keys())
def test_filters(repository: ArchiveRepository, filters: ClosedFilters, expected: list[str]) -> None:
    twelve(repository)
    assert incident_ids(repository.list_closed(filters, limit=50).entries) == expected


def test_a_filtered_listing_pages_too(repository: ArchiveRepository) -> None:
    twelve(repository)
    payments = ClosedFilters(team="payments")
    first = repository.list_closed(payments, limit=3)
    second = repository.list_closed(payments, after=first.next, limit=3)
    assert (incident_ids(first.entries), incident_ids(second.entries)) == (ids(12, 11, 9), ids(8, 6, 5))


def test_the_cursor_holds_while_records_are_archived(repository: ArchiveRepository) -> None:
    twelve(repository)
    first = repository.list_closed(limit=5)
    repository.archive_all([closed(20), closed(21), closed(30, at=closed_at(6)), closed(31, at=closed_at(0))])
    second = repository.list_closed(after=first.next, limit=5)
    rest = repository.list_closed(after=second.next, limit=5)
    assert incident_ids(second.entries) == ["INC-7", "INC-30", "INC-6", "INC-5", "INC-4"]
    assert (incident_ids(rest.entries), rest.next) == (["INC-3", "INC-2", "INC-1", "INC-31"], None)
    assert incident_ids(repository.list_closed(limit=3).entries) == ids(21, 20, 12)


def test_equal_closing_times_are_ordered_by_position(repository: ArchiveRepository) -> None:
    same = closed_at(5)
    repository.archive_all([closed(number, at=same) for number in (1, 2, 3, 4)])
    first = repository.list_closed(limit=3)
    second = repository.list_closed(after=first.next, limit=3)
    assert (incident_ids(first.entries), incident_ids(second.entries)) == (ids(4, 3, 2), ids(1))


def test_a_corrected_incident_is_listed_once_as_its_latest_version(repository: ArchiveRepository) -> None:
    twelve(repository)
    repository.archive(closed(5, title="payments declined: an expired certificate"))
    page = repository.list_closed(ClosedFilters(since=closed_at(4), until=closed_at(7)), limit=10)
    assert [(e.incident_id, e.position, e.kind, e.corrects, e.title) for e in page.entries] == [
        ("INC-6", 6, "record", None, "shop-payments trouble number 6"),
        ("INC-5", 13, "correction", 5, "payments declined: an expired certificate"),
        ("INC-4", 4, "record", None, "dashboard trouble number 4"),
    ]


@pytest.mark.parametrize("cursor", ["nonsense!", "WzEsMl0", "WyIyMDI2LTAzLTAxVDAwOjAwOjAwIiwxXQ", ""])
def test_a_cursor_not_handed_out_is_refused(repository: ArchiveRepository, cursor: str) -> None:
    with pytest.raises(InvalidCursor) as refused:
        repository.list_closed(after=cursor)
    assert str(refused.value) == "the cursor is not one this archive handed out (pass a page's `next` as it is)"


def test_an_empty_archive_lists_nothing(repository: ArchiveRepository) -> None:
    page = repository.list_closed()
    assert (page.entries, page.next) == ([], None)
