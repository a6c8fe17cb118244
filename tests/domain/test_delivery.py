"""Delivery backoff: doubling from 2 s up to 5 min, Retry-After honoured within the cap, a lost attempt retried at
once; how long an attempt may take; idempotency keys."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.policy.notification_retries import (
    ATTEMPT_TIMEOUT,
    HEARTBEAT_EVERY,
    HEARTBEAT_TIMEOUT,
    LONGEST_CHANNEL_CALL,
    MAX_DELIVERY_ATTEMPTS,
    idempotency_key,
    retry_delay,
)


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


@pytest.mark.parametrize("attempt", [1, 2, 7, 11, 100])
@pytest.mark.parametrize("asked", [None, timedelta(seconds=30)])
def test_a_lost_attempt_is_retried_at_once_whatever_came_before(attempt: int, asked: timedelta | None) -> None:
    assert retry_delay(attempt, asked, lost=True) == timedelta(0)


def test_an_attempt_may_outlast_the_slowest_channel_call_and_a_silent_worker_is_noticed_in_two_seconds() -> None:
    seconds = [
        value.total_seconds() for value in (LONGEST_CHANNEL_CALL, ATTEMPT_TIMEOUT, HEARTBEAT_EVERY, HEARTBEAT_TIMEOUT)
    ]
    assert seconds == [20, 22, 0.5, 2]
    assert HEARTBEAT_TIMEOUT // HEARTBEAT_EVERY == 4  # three heartbeats may be missed before an attempt is lost


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
