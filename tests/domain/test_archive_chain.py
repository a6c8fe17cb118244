"""The archive's chain, as pure functions: canonical JSON, the digests, and which link the walk names broken."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

import pytest

from domain.views.archive_chain import (
    GENESIS,
    BrokenLink,
    ChainLink,
    canonical_json,
    chain_digest,
    content_digest,
    find_break,
)
from tests.support.archive import closed


def test_canonical_json_sorts_keys_without_spaces_and_keeps_unicode() -> None:
    record = closed(1, title="Zahlungen schlagen fehl — für alle", notes=["ok"])
    text = canonical_json(record)
    assert text.startswith('{"acknowledged_at":"2026-03-01T00:25:00Z","acknowledged_by":"amara","actions":[],')
    assert '"title":"Zahlungen schlagen fehl — für alle"' in text
    assert ", " not in text and ": " not in text
    assert canonical_json(type(record).model_validate_json(record.model_dump_json(indent=2))) == text


def test_the_digests_are_sha256_of_the_documented_bytes() -> None:
    assert content_digest('{"a":1}') == hashlib.sha256(b'{"a":1}').hexdigest()
    content = "ab" * 32
    linked = f'["{GENESIS}",1,"INC-1","{content}"]'.encode()
    assert chain_digest(GENESIS, 1, "INC-1", content) == hashlib.sha256(linked).hexdigest()


def chain(*ids: str) -> list[ChainLink]:
    """Links as the repository appends them: an incident seen before is a correction of its last row."""
    links: list[ChainLink] = []
    latest: dict[str, int] = {}
    previous = GENESIS
    for position, incident_id in enumerate(ids, start=1):
        content = f'{{"incident_id":"{incident_id}","version":{position}}}'
        digest = content_digest(content)
        linked = chain_digest(previous, position, incident_id, digest)
        corrects = latest.get(incident_id)
        kind = "record" if corrects is None else "correction"
        links.append(ChainLink(position, incident_id, kind, corrects, content, digest, previous, linked))
        latest[incident_id] = position
        previous = linked
    return links


def locator(links: list[ChainLink]) -> Callable[[str], int | None]:
    positions = {link.chain_digest: link.position for link in links}
    return positions.get


def walk(links: list[ChainLink]) -> BrokenLink | None:
    return find_break(links, locator(links))


def test_an_intact_chain_with_a_correction_has_no_break() -> None:
    assert walk(chain("INC-1", "INC-2", "INC-1", "INC-3")) is None
    assert walk([]) is None


def moved(link: ChainLink, position: int) -> ChainLink:
    return dataclasses.replace(link, position=position)


def edited_content(links: list[ChainLink], index: int) -> list[ChainLink]:
    return [*links[:index], dataclasses.replace(links[index], content='{"edited":true}'), *links[index + 1 :]]


def rewritten(links: list[ChainLink], index: int) -> list[ChainLink]:
    """The record at ``index`` with new content and every digest of its own recomputed, the rest left alone."""
    link = links[index]
    content = '{"rewritten":true}'
    digest = content_digest(content)
    linked = chain_digest(link.previous_digest, link.position, link.incident_id, digest)
    forged = dataclasses.replace(link, content=content, content_digest=digest, chain_digest=linked)
    return [*links[:index], forged, *links[index + 1 :]]


FIVE = chain("INC-1", "INC-2", "INC-3", "INC-4", "INC-5")
A, B, C, D, E = FIVE
CASES = {
    "content edited": (
        edited_content(FIVE, 2),
        BrokenLink(3, "INC-3", "was edited: its content does not match its digest"),
    ),
    "a record deleted": ([A, B, D, E], BrokenLink(3, None, "was deleted: the chain goes from record 2 to record 4")),
    "the first deleted": ([B, C], BrokenLink(1, None, "was deleted: the chain goes from the start to record 2")),
    "two swapped": (
        [A, moved(D, 2), C, moved(B, 4), E],
        BrokenLink(
            2, "INC-4", "was reordered: it was appended after the record now at position 3, but follows record 1"
        ),
    ),
    "the first moved": (
        [moved(B, 1), moved(A, 2), C],
        BrokenLink(
            1, "INC-2", "was reordered: it was appended after the record now at position 2, but is now the first"
        ),
    ),
    "rewritten with its digests": (
        rewritten(FIVE, 2),
        BrokenLink(3, "INC-3", "was edited: it was rewritten, and record 4 was not appended after it"),
    ),
    "deleted, the rest renumbered": (
        [A, B, moved(D, 3), moved(E, 4)],
        BrokenLink(3, None, "was deleted: INC-4, now record 3, followed a record that is gone"),
    ),
    "incident id changed": (
        [A, dataclasses.replace(B, incident_id="INC-9"), C],
        BrokenLink(2, "INC-9", "was edited: its incident id or content digest does not match its chain digest"),
    ),
}


@pytest.mark.parametrize("links, expected", CASES.values(), ids=CASES.keys())
def test_the_walk_names_the_first_broken_record(links: list[ChainLink], expected: BrokenLink) -> None:
    assert walk(links) == expected


def test_a_correction_relabelled_as_a_record_is_an_edit() -> None:
    links = chain("INC-1", "INC-2", "INC-1")
    relabelled = [*links[:2], dataclasses.replace(links[2], kind="record", corrects=None)]
    assert walk(relabelled) == BrokenLink(3, "INC-1", "was edited: its kind or the record it corrects was changed")


def test_a_broken_link_describes_itself_in_one_line() -> None:
    assert BrokenLink(3, "INC-3", "was edited: x").describe() == "record 3 (INC-3) was edited: x"
    assert BrokenLink(4, None, "was deleted: y").describe() == "record 4 was deleted: y"
