"""Durations as people write them in the catalog: ``90s``, ``5m``, ``1h30m``, ``3d``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_COMPACT = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value: Any) -> Any:
    """Parse ``1h30m`` style strings; anything else is left for pydantic (ISO 8601, seconds)."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    match = _COMPACT.match(text)
    if not text or match is None:
        if text.startswith("p"):
            return value  # ISO 8601, e.g. PT5M
        raise ValueError(f"{value!r} is not a duration; write it like 90s, 5m, 1h30m or 3d")
    days, hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The compact form again: ``timedelta(hours=1, minutes=30)`` → ``1h30m``."""
    total = int(value.total_seconds())
    if total == 0:
        return "0s"
    sign = "-" if total < 0 else ""
    total = abs(total)
    parts = []
    for unit, size in _UNITS.items():
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + "".join(parts)


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A duration field that reads and writes the compact form."""

PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
"""A duration that must be longer than zero."""
