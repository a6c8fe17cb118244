"""``verify`` walks the chain in the database and names the first record that was edited, deleted or reordered."""

from __future__ import annotations

from sqlalchemy import Engine

from adapters.archive import ArchiveRepository, ArchiveSummary, BrokenLink
from adapters.archive.rows import QUERY_COLUMNS, query_columns, search_text
from domain.views.archive_chain import GENESIS, canonical_json, chain_digest, content_digest
from tests.support.archive import closed, swap_positions, tamper


def archived(repository: ArchiveRepository, count: int = 5) -> None:
    repository.archive_all([closed(number) for number in range(1, count + 1)])


def test_an_intact_chain_and_its_head(repository: ArchiveRepository) -> None:
    assert (repository.summary(), repository.verify()) == (ArchiveSummary(0, GENESIS), None)
    archived(repository, 3)
    head = GENESIS
    for position in (1, 2, 3):
        head = chain_digest(head, position, f"INC-{position}", content_digest(canonical_json(closed(position))))
    assert (repository.summary(), repository.verify()) == (ArchiveSummary(3, head), None)


def test_an_edited_record_is_named(repository: ArchiveRepository, engine: Engine) -> None:
    archived(repository)
    tamper(engine, "UPDATE archived_records SET content = REPLACE(content, 'rolled back', 'fixed') WHERE position = 3")
    assert repository.verify() == BrokenLink(3, "INC-3", "was edited: its content does not match its digest")


def test_a_deleted_record_is_named(repository: ArchiveRepository, engine: Engine) -> None:
    archived(repository)
    tamper(engine, "DELETE FROM archived_records WHERE position = 3")
    assert repository.verify() == BrokenLink(3, None, "was deleted: the chain goes from record 2 to record 4")


def test_a_reordered_record_is_named(repository: ArchiveRepository, engine: Engine) -> None:
    archived(repository)
    tamper(engine, *swap_positions(2, 4))
    assert repository.verify() == BrokenLink(
        2, "INC-4", "was reordered: it was appended after the record now at position 3, but follows record 1"
    )


def test_a_record_rewritten_with_fresh_digests_is_named(repository: ArchiveRepository, engine: Engine) -> None:
    """Whoever rewrites a record and its own digests still breaks the link of the record after it."""
    archived(repository)
    forged = canonical_json(closed(3, root_cause="nobody's fault"))
    digest = content_digest(forged)
    with engine.connect() as connection:
        previous = connection.exec_driver_sql(
            "SELECT previous_digest FROM archived_records WHERE position = 3"
        ).scalar_one()
    linked = chain_digest(previous, 3, "INC-3", digest)
    tamper(
        engine,
        "UPDATE archived_records SET content = :forged, content_digest = :digest, chain_digest = :linked, "
        "search_text = :copied WHERE position = 3",
        copied=search_text(closed(3, root_cause="nobody's fault")),
        forged=forged,
        digest=digest,
        linked=linked,
    )
    assert repository.verify() == BrokenLink(
        3, "INC-3", "was edited: it was rewritten, and record 4 was not appended after it"
    )


def test_a_correction_turned_into_an_original_is_named(repository: ArchiveRepository, engine: Engine) -> None:
    repository.archive_all([closed(1), closed(2), closed(1, summary="failed over")])
    tamper(engine, "DROP INDEX ux_archived_records_original")
    tamper(engine, "UPDATE archived_records SET kind = 'record', corrects = NULL WHERE position = 3")
    assert repository.verify() == BrokenLink(3, "INC-1", "was edited: its kind or the record it corrects was changed")


def test_verify_stops_at_the_position_asked(repository: ArchiveRepository, engine: Engine) -> None:
    archived(repository)
    tamper(engine, "DELETE FROM archived_records WHERE position = 5")
    assert (repository.verify(upto=4), repository.summary().records) == (None, 4)


def test_an_edited_query_column_is_named(repository: ArchiveRepository, engine: Engine) -> None:
    """Listings and statistics read the copies: a row whose copies disagree with its content was edited."""
    archived(repository)
    tamper(engine, "UPDATE archived_records SET priority = 'P4', escalations = 3 WHERE position = 2")
    assert repository.verify() == BrokenLink(
        2, "INC-2", "was edited: its query columns (priority, escalations) do not match its content"
    )


def test_a_row_whose_content_is_no_record_is_named(repository: ArchiveRepository, engine: Engine) -> None:
    """Content and its digests rewritten together still do not pass as a record (and the next link breaks)."""
    archived(repository, 1)
    forged = '{"incident_id":"INC-1"}'
    linked = chain_digest(GENESIS, 1, "INC-1", content_digest(forged))
    tamper(
        engine,
        "UPDATE archived_records SET content = :forged, content_digest = :digest, chain_digest = :linked",
        forged=forged,
        digest=content_digest(forged),
        linked=linked,
    )
    broken = repository.verify()
    assert broken is not None
    assert (broken.position, broken.why.split(" (")[0]) == (1, "was edited: its query columns")
    assert broken.why.endswith(f"({', '.join(QUERY_COLUMNS)}) do not match its content")


def test_the_columns_verify_compares_are_every_query_column() -> None:
    assert tuple(query_columns(closed(1))) == QUERY_COLUMNS
