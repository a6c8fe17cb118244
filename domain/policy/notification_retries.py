"""How hard to try delivering a page: how long one attempt may take, backoff between attempts and when to give up."""

from __future__ import annotations

from datetime import timedelta

MAX_DELIVERY_ATTEMPTS = 12
FIRST_RETRY_DELAY = timedelta(seconds=2)
MAX_RETRY_DELAY = timedelta(minutes=5)
_DOUBLINGS_TO_CAP = 8  # 2 s doubled 8 times (512 s) is past the cap; more would overflow timedelta on huge attempts

LONGEST_CHANNEL_CALL = timedelta(seconds=20)
"""The longest one attempt may spend in its channel: the upper bound of INCIDENTS_WEBHOOK_TIMEOUT_SECONDS (webhooks,
Slack) and INCIDENTS_SMTP_TIMEOUT_SECONDS (email), which each channel enforces around its whole call."""
ATTEMPT_TIMEOUT = LONGEST_CHANNEL_CALL + timedelta(seconds=2)
"""An attempt's start-to-close timeout: the slowest channel call allowed, plus signing links and building the message.
Reached only by an attempt its channel failed to bound (a worker that is alive but stuck)."""
HEARTBEAT_EVERY = timedelta(milliseconds=500)
"""How often an attempt tells Temporal its worker is alive while the channel call runs."""
HEARTBEAT_TIMEOUT = timedelta(seconds=2)
"""An attempt whose worker has been silent this long is lost (the worker died, or stalled for four heartbeats) and
is tried again at once, on whichever worker is alive. See docs/decisions.md for the trade-off."""


def retry_delay(attempt: int, asked: timedelta | None = None, *, lost: bool = False) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based): doubling from 2 s up to 5 min.

    A receiver that asks for a delay (Retry-After) gets it, within the same cap. A ``lost`` attempt (its worker stopped
    heartbeating: it died) says nothing about the channel, so the next one starts at once.
    """
    if lost:
        return timedelta(0)
    if asked is not None:
        return min(max(asked, timedelta(seconds=1)), MAX_RETRY_DELAY)
    doublings = min(max(attempt - 1, 0), _DOUBLINGS_TO_CAP)
    return min(FIRST_RETRY_DELAY * (1 << doublings), MAX_RETRY_DELAY)


def idempotency_key(incident_id: str, step: str, channel: str) -> str:
    """The same for every attempt at one page on one channel, so a receiver can drop repeats."""
    return f"{incident_id}:{step}:{channel}"
