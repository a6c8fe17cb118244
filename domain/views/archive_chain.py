"""The archive's tamper evidence: a record's canonical JSON, its content digest, and the chain that links every
archived record to the one appended before it.

- **Canonical JSON**: the record as JSON with sorted keys, no spaces, UTF-8 (``ensure_ascii=False``); the same record
  gives the same bytes on every machine.
- **Content digest**: SHA-256 of those bytes, hex.
- **Chain digest** of the record at ``position``: SHA-256 over ``[previous chain digest, position, incident id,
  content digest]`` as compact JSON; the first record's previous digest is ``GENESIS``. Editing a record changes its
  content digest, deleting one leaves a gap, moving one breaks the link of whatever follows it.
- **Query columns**: what listings, searches and statistics read without parsing the content (service, priority, SLA
  verdicts, …) are copies of it; a row whose copies say something else was edited too.

``find_break`` walks the links in position order and names the first one that does not hold. Each incident's first
row is its ``record``; every later row is a ``correction`` of the row before it for that incident (``corrects``).
Removing the last records leaves no gap to find: compare the head that ``incidents archive verify`` prints with the
one it printed before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import BaseModel

GENESIS = "0" * 64
"""The previous chain digest of the first record."""

RECORD = "record"
CORRECTION = "correction"


def canonical_json(record: BaseModel) -> str:
    return json.dumps(record.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_digest(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chain_digest(previous: str, position: int, incident_id: str, content: str) -> str:
    """``content`` is the record's content digest."""
    linked = json.dumps([previous, position, incident_id, content], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(linked.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    """One archived row as the chain sees it."""

    position: int
    incident_id: str
    kind: str
    corrects: int | None
    content: str
    content_digest: str
    previous_digest: str
    chain_digest: str
    columns_differ: tuple[str, ...] = ()
    """The query columns whose values are not what the content gives (the reader compares them)."""


@dataclass(frozen=True)
class BrokenLink:
    """The first record where the chain does not hold; ``incident_id`` is None when that record is gone."""

    position: int
    incident_id: str | None
    why: str

    def describe(self) -> str:
        name = f"record {self.position}" + (f" ({self.incident_id})" if self.incident_id else "")
        return f"{name} {self.why}"


@dataclass
class _Walk:
    position: int = 1
    previous: str = GENESIS
    previous_incident: str | None = None


def find_break(links: Iterable[ChainLink], locate: Callable[[str], int | None]) -> BrokenLink | None:
    """The first broken link of ``links`` (in position order), or None when every one holds.

    ``locate`` answers the position of the record whose chain digest is given (None when no record has it); it is
    asked only once the chain is already broken, to tell a moved record from a rewritten one.
    """
    walk = _Walk()
    latest: dict[str, int] = {}
    for link in links:
        broken = _check(link, walk, latest, locate)
        if broken is not None:
            return broken
        latest[link.incident_id] = link.position
        walk = _Walk(walk.position + 1, link.chain_digest, link.incident_id)
    return None


def _check(
    link: ChainLink, walk: _Walk, latest: dict[str, int], locate: Callable[[str], int | None]
) -> BrokenLink | None:
    expected = walk.position
    if link.position != expected:
        after = f"record {expected - 1}" if expected > 1 else "the start"
        return BrokenLink(expected, None, f"was deleted: the chain goes from {after} to record {link.position}")
    if content_digest(link.content) != link.content_digest:
        return BrokenLink(expected, link.incident_id, "was edited: its content does not match its digest")
    if link.previous_digest != walk.previous:
        return _misplaced(link, walk, locate)
    if chain_digest(walk.previous, expected, link.incident_id, link.content_digest) != link.chain_digest:
        return BrokenLink(
            expected, link.incident_id, "was edited: its incident id or content digest does not match its chain digest"
        )
    kind = CORRECTION if link.incident_id in latest else RECORD
    if (link.kind, link.corrects) != (kind, latest.get(link.incident_id)):
        return BrokenLink(expected, link.incident_id, "was edited: its kind or the record it corrects was changed")
    if link.columns_differ:
        why = f"was edited: its query columns ({', '.join(link.columns_differ)}) do not match its content"
        return BrokenLink(expected, link.incident_id, why)
    return None


def _misplaced(link: ChainLink, walk: _Walk, locate: Callable[[str], int | None]) -> BrokenLink:
    """The link does not follow the record before it: moved here, or what it followed was rewritten or removed."""
    expected = walk.position
    predecessor = 0 if link.previous_digest == GENESIS else locate(link.previous_digest)
    if predecessor is not None:
        origin = f"after the record now at position {predecessor}" if predecessor else "as the first record"
        here = f"but follows record {expected - 1}" if expected > 1 else "but is now the first"
        return BrokenLink(expected, link.incident_id, f"was reordered: it was appended {origin}, {here}")
    in_place = chain_digest(link.previous_digest, expected, link.incident_id, link.content_digest) == link.chain_digest
    if in_place and expected > 1:
        return BrokenLink(
            expected - 1,
            walk.previous_incident,
            f"was edited: it was rewritten, and record {expected} was not appended after it",
        )
    return BrokenLink(
        expected, None, f"was deleted: {link.incident_id}, now record {expected}, followed a record that is gone"
    )
