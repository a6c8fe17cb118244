"""Delivery backoff: doubling from 2 s up to 5 min, Retry-After honoured within the cap, idempotency keys."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.delivery import MAX_DELIVERY_ATTEMPTS, idempotency_key, retry_delay


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [(1, 2), (2, 4), (3, 8), (4, 16), (5, 32), (6, 64), (7, 128), (8, 256), (9, 300), (10, 300), (11, 300), (12, 300)],
)
def test_retry_delay_doubles_up_to_five_minutes(attempt: int, seconds: int) -> None:
    assert retry_delay(attempt) == timedelta(seconds=seconds)


def test_retry_delay_stays_capped_for_any_attempt() -> None:
    assert retry_delay(100) == timedelta(minutes=5)
    assert retry_delay(10_000) == timedelta(minutes=5)


def test_the_backoff_of_a_whole_delivery() -> None:
    assert MAX_DELIVERY_ATTEMPTS == 12
    waits = [retry_delay(attempt) for attempt in range(1, MAX_DELIVERY_ATTEMPTS)]
    assert sum(waits, timedelta(0)) == timedelta(seconds=2 + 4 + 8 + 16 + 32 + 64 + 128 + 256 + 300 + 300 + 300)


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        (timedelta(seconds=30), timedelta(seconds=30)),
        (timedelta(seconds=1), timedelta(seconds=1)),
        (timedelta(minutes=5), timedelta(minutes=5)),
        (timedelta(minutes=10), timedelta(minutes=5)),
        (timedelta(hours=2), timedelta(minutes=5)),
        (timedelta(0), timedelta(seconds=1)),
        (timedelta(milliseconds=200), timedelta(seconds=1)),
        (timedelta(seconds=-5), timedelta(seconds=1)),
    ],
)
def test_retry_after_is_honoured_within_the_cap(asked: timedelta, expected: timedelta) -> None:
    assert retry_delay(1, asked) == expected
    assert retry_delay(7, asked) == expected  # the attempt number does not matter once the receiver asked


@pytest.mark.parametrize(
    ("incident_id", "step", "channel", "key"),
    [
        ("INC-1", "page-0", "slack", "INC-1:page-0:slack"),
        ("INC-1", "page-0", "webhook", "INC-1:page-0:webhook"),
        ("INC-42", "exhausted", "email", "INC-42:exhausted:email"),
        ("INC-42", "sla-acknowledge-100", "slack", "INC-42:sla-acknowledge-100:slack"),
    ],
)
def test_idempotency_key(incident_id: str, step: str, channel: str, key: str) -> None:
    assert idempotency_key(incident_id, step, channel) == key
