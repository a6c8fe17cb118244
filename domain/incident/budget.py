"""The size budget of one incident: everything it carries stays far below Temporal's payload limit.

The incident's state is the input of a continued run and of the close step, the status a query answers and the record
the document step writes; each is built from ``IncidentState``. These bounds keep all of them under about 256 KiB,
however long the incident runs and whatever is sent to it:

- notes: at most ``MAX_NOTES`` per incident, ``MAX_NOTES_PER_AUTHOR`` per person and ``MAX_NOTE_BYTES`` of text in
  all; a note past a bound is refused with the bound's name (``LimitReached``), and nothing already kept is lost;
- alerts of a monitoring group: the first ``MAX_TRACKED_ALERTS`` fingerprints are tracked one by one, later ones are
  counted; the first ``MAX_ALERT_ENTRIES`` changes go on the timeline one by one, later folds as one summary each;
- a trigger's payload over ``domain.messages.actions.MAX_PAYLOAD_BYTES`` is kept as a summary of its size and
  top-level keys before it reaches the incident;
- the timeline: past ``TIMELINE_BUDGET_BYTES`` its oldest routine entries (delivery attempts, alert changes, SLA
  checkpoints, actions other than notes, ...) are folded into one ``timeline.compacted`` entry that counts them by
  kind; the opening, classification, routing, notes, resolution and closing are always kept in full;
- reopenings: at most ``MAX_REOPENS``; the next reopen is refused (``LimitReached``): report a new incident;
- escalations, deliveries and snoozes: the latest ``MAX_ESCALATIONS_KEPT`` / ``MAX_DELIVERIES_KEPT`` /
  ``MAX_SNOOZES_KEPT`` are kept in full, older ones counted.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timedelta

from domain.incident._timeline import TimelineEntry

STATE_BUDGET_BYTES = 256 * 1024
"""What the serialised state, a query answer and every step's input aim to stay under (Temporal refuses 2 MiB)."""

MAX_NOTES = 100
MAX_NOTES_PER_AUTHOR = 40
MAX_NOTE_BYTES = 48 * 1024
"""All notes' text together, in UTF-8."""

MAX_TRACKED_ALERTS = 400
MAX_FINGERPRINT_CHARS = 48
"""A longer fingerprint is kept as ``sha256:<32 hex digits>`` of it."""
MAX_ALERT_ENTRIES = 40

TIMELINE_BUDGET_BYTES = 96 * 1024
TIMELINE_COMPACT_TO = 72 * 1024
"""Compaction goes well below the budget, so that it runs once in a while and not on every entry."""
KEEP_LATEST_ENTRIES = 20
"""The newest entries are never folded: the change that is being made can always be read back."""
ALWAYS_KEPT = frozenset(
    {
        "incident.opened",
        "incident.classified",
        "incident.routed",
        "note.added",
        "incident.resolved",
        "incident.reopened",
        "incident.closed",
        "timeline.compacted",
    }
)
COMPACTED = "timeline.compacted"

MAX_ESCALATIONS_KEPT = 60
MAX_DELIVERIES_KEPT = 80
MAX_SNOOZES_KEPT = 20
MAX_ACTION_ITEMS = 30
MAX_ACTION_REMINDERS = 14
ACTION_REMIND_EVERY = timedelta(days=1)
"""An overdue item's owner is reminded daily, for two weeks at most."""
MAX_STATUS_UPDATES = 100
MAX_SUBSCRIBERS = 100
MAX_REOPENS = 10
"""Reopenings one incident takes; past it a responder opens a new incident (each keeps its undone resolution)."""


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def entry_size(entry: TimelineEntry) -> int:
    return len(entry.model_dump_json())


def alert_key(fingerprint: str) -> str:
    """The key an alert is tracked by: its fingerprint, or a digest of one too long to keep."""
    if len(fingerprint) <= MAX_FINGERPRINT_CHARS:
        return fingerprint
    return "sha256:" + hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:32]


def fold_entries(
    timeline: list[TimelineEntry], sizes: list[int], target: int, previous: TimelineEntry | None
) -> tuple[list[TimelineEntry], list[int], TimelineEntry | None]:
    """Fold the oldest routine entries into one summary until the timeline's size is at most ``target``.

    Returns the new timeline, its entry sizes and the summary (None when nothing could be folded). The summary takes
    the place of the first entry it folds and adds to ``previous`` (the summary of an earlier compaction), so a
    timeline holds at most one.
    """
    total = sum(sizes)
    counts: Counter[str] = Counter()
    first: datetime | None = None
    last: datetime | None = None
    if previous is not None:
        counts.update(
            {
                k: v
                for k, v in previous.data.items()
                if k != "entries" and isinstance(v, int) and not isinstance(v, bool)
            }
        )
        first = previous.at
        last = _until(previous)
    folded: set[int] = set()
    newest_foldable = len(timeline) - KEEP_LATEST_ENTRIES
    for index, entry in enumerate(timeline[:newest_foldable]):
        if total <= target:
            break
        if entry.kind in ALWAYS_KEPT:
            continue
        folded.add(index)
        counts[entry.kind] += 1
        total -= sizes[index]
        first = entry.at if first is None or entry.at < first else first
        last = entry.at if last is None or entry.at > last else last
    if not folded:
        return timeline, sizes, previous
    assert first is not None and last is not None
    summary = _summary(counts, first, last)
    kept: list[TimelineEntry] = []
    kept_sizes: list[int] = []
    placed = False
    for index, entry in enumerate(timeline):
        if entry.kind == COMPACTED or index in folded:
            if not placed:
                kept.append(summary)
                kept_sizes.append(entry_size(summary))
                placed = True
            continue
        kept.append(entry)
        kept_sizes.append(sizes[index])
    return kept, kept_sizes, summary


def _until(entry: TimelineEntry) -> datetime:
    value = entry.data.get("until")
    return datetime.fromisoformat(value) if isinstance(value, str) else entry.at


def _summary(counts: Counter[str], first: datetime, last: datetime) -> TimelineEntry:
    total = sum(counts.values())
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return TimelineEntry(
        at=first,
        kind=COMPACTED,
        message=f"{total} earlier entries folded to keep the incident within its size budget: {kinds}",
        data={**dict(sorted(counts.items())), "until": last.isoformat(), "entries": total},
    )
