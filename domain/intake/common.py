"""What the monitoring formats we accept unchanged have in common, once translated into a report and a trigger.

The translations themselves live next to this module, one per format:

- ``domain.intake_alertmanager``: Prometheus Alertmanager webhooks (payload version 4), one incident per group;
- ``domain.intake_pagerduty``: PagerDuty Events API v2 (``POST /v2/enqueue``), one incident per dedup key.

Both name a service the way the report demands (``service_name``), keep labels within the report's limits
(``report_labels``) and build the key that folds repeated triggers into one incident (``incident_key``):
``<format>:<integration name>:<the format's own key>``, or, when that would be longer than 255 characters,
``<format>:<integration name>:sha256:<hex digest of the format's own key>``. The same key goes on the report
(``IncidentReport.dedup_key``) and on the trigger (``TriggerRequest.dedup_key``).

Control characters (``domain.text``), which a report refuses, are removed from what a format's payload puts in the
report rather than refusing the alert, since a monitor whose notification is refused does not page anybody:
``one_line`` for a title or a label, ``many_lines`` for a description. A key that holds one is hashed as a long key is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

from domain.models import MAX_LABEL_BYTES
from domain.text import first_control_character, without_control_characters

UNKNOWN_SERVICE = "unknown"
"""The service of an incident whose payload names none and whose integration has no default."""

MAX_SERVICE = 100
MAX_TITLE = 200
MIN_TITLE = 3
MAX_DESCRIPTION = 20_000
MAX_LABELS = 64
MAX_LABEL_NAME = 100
MAX_LABEL_VALUE = 1_000
MAX_KEY = 255
"""``IncidentReport.dedup_key`` allows 255 characters; ``TriggerRequest.dedup_key`` allows more."""

Choice = TypeVar("Choice", bound=StrEnum)

_OUTSIDE_SERVICE_ALPHABET = re.compile(r"[^a-z0-9._-]+")


def service_name(value: str) -> str:
    """A name that fits the report's service pattern ``^[a-z0-9][a-z0-9._-]*$``, or ``""`` when nothing is left.

    Lower-cased; each run of characters outside ``a-z 0-9 . _ -`` becomes one ``-``; leading and trailing ``.``,
    ``_`` and ``-`` are dropped; cut to 100 characters. ``"Shop Payments (EU)"`` becomes ``"shop-payments-eu"``.
    """
    name = _OUTSIDE_SERVICE_ALPHABET.sub("-", value.lower()).strip("._-")
    return name[:MAX_SERVICE]


def first_service(candidates: Iterable[str | None]) -> str:
    """The first candidate that still names a service once normalized by ``service_name``, else ``unknown``."""
    for candidate in candidates:
        name = service_name(candidate or "")
        if name:
            return name
    return UNKNOWN_SERVICE


def clip(text: str, limit: int, max_bytes: int | None = None) -> str:
    """``text`` without surrounding whitespace, cut to ``limit`` characters and, when given, ``max_bytes`` bytes of
    UTF-8 (never inside a character), then stripped again after the cut."""
    cut = text.strip()[:limit]
    if max_bytes is not None and len(cut.encode("utf-8")) > max_bytes:
        cut = cut.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")
    return cut.rstrip()


def one_line(text: str) -> str:
    """``text`` as a report's one-line field holds it: line breaks and tabs a space, other control characters gone."""
    return without_control_characters(text)


def many_lines(text: str) -> str:
    """``text`` as a report's description holds it: line feeds and tabs kept (CR read as one), other controls gone."""
    return without_control_characters(text, multiline=True)


def report_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """Labels within the report's limits: names of 1 to 100 characters, the first 64 by name, values cut to 1000.

    Names and values are taken ``one_line``, and surrounding whitespace is dropped as the report drops it.
    """
    cleaned = {one_line(name).strip(): one_line(value).strip() for name, value in labels.items()}
    usable = sorted(name for name in cleaned if 0 < len(name) <= MAX_LABEL_NAME)
    kept: dict[str, str] = {}
    size = 0
    for name in usable[:MAX_LABELS]:
        value = cleaned[name][:MAX_LABEL_VALUE]
        size += len(name.encode("utf-8")) + len(value.encode("utf-8"))
        if size > MAX_LABEL_BYTES:
            break  # past the report's bound in bytes (``IncidentReport.labels``): the rest are left out
        kept[name] = value
    return kept


def incident_key(kind: str, integration_name: str, key: str) -> str:
    """The key that folds repeated triggers into one incident: ``<kind>:<integration>:<key>``, hashed when long or
    when the key holds a control character."""
    full = f"{kind}:{integration_name}:{key}"
    if len(full) <= MAX_KEY and first_control_character(key) is None:
        return full
    return f"{kind}:{integration_name}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def choice(kind: type[Choice], value: str | None, default: Choice) -> Choice:
    """The member of ``kind`` whose value is ``value`` in any case (``"Network_Problem"``), else ``default``."""
    try:
        return kind((value or "").strip().lower())
    except ValueError:
        return default
