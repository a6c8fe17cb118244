"""How hard to try delivering a page: backoff between attempts and when to give up."""

from __future__ import annotations

from datetime import timedelta

MAX_DELIVERY_ATTEMPTS = 12
FIRST_RETRY_DELAY = timedelta(seconds=2)
MAX_RETRY_DELAY = timedelta(minutes=5)
_DOUBLINGS_TO_CAP = 8  # 2 s doubled 8 times (512 s) is past the cap; more would overflow timedelta on huge attempts


def retry_delay(attempt: int, asked: timedelta | None = None) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based): doubling from 2 s up to 5 min.

    A receiver that asks for a delay (Retry-After) gets it, within the same cap.
    """
    if asked is not None:
        return min(max(asked, timedelta(seconds=1)), MAX_RETRY_DELAY)
    doublings = min(max(attempt - 1, 0), _DOUBLINGS_TO_CAP)
    return min(FIRST_RETRY_DELAY * (1 << doublings), MAX_RETRY_DELAY)


def idempotency_key(incident_id: str, step: str, channel: str) -> str:
    """The same for every attempt at one page on one channel, so a receiver can drop repeats."""
    return f"{incident_id}:{step}:{channel}"
