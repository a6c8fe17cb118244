"""Full-text search over the latest version of every archived incident, best match first.

The text is cut into words and every word must appear (in any form the stemmer folds together: "timeouts" finds
"timeout"); nothing of it is query syntax, and English stop words ("for", "all", "the") are left out on both
dialects, as PostgreSQL's ``english`` configuration does. SQLite ranks with FTS5's bm25, PostgreSQL with
``ts_rank`` over the generated ``tsvector``; both weigh the title above the rest. Ties go to the most recently
closed.
"""

from __future__ import annotations

import re

from sqlalchemy import TextClause, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ExecutableReturnsRows

from adapters.archive.models import FTS_TABLE, SEARCH_CONFIG, SEARCH_VECTOR, TABLE, ArchivedRecord

WORD = re.compile(r"\w+")
TITLE_WEIGHT = 4.0
"""bm25's weight of the title against the rest (1.0) on SQLite; PostgreSQL gives title A and the rest B."""
MAX_LIMIT = 200
_ENGLISH_STOP = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is are
    was were be been being have has had having do does did doing a an the and but if or because as until while
    of at by for with about against between into through during before after above below to from up down in out
    on off over under again further then once here there when where why how all any both each few more most
    other some such no nor not only own same so than too very s t can will just don should now
"""
STOP_WORDS = frozenset(_ENGLISH_STOP.split())
"""PostgreSQL's ``english.stop`` (Snowball's list): left out of the query on SQLite as well."""

_COLUMNS = ", ".join(f"r.{column.name}" for column in ArchivedRecord.__table__.columns)
_LATEST = (
    f"NOT EXISTS (SELECT 1 FROM {TABLE} later WHERE later.incident_id = r.incident_id AND later.position > r.position)"
)
SQLITE = f"""
    SELECT {_COLUMNS} FROM {FTS_TABLE} JOIN {TABLE} r ON r.position = {FTS_TABLE}.rowid
    WHERE {FTS_TABLE} MATCH :query AND {_LATEST}
    ORDER BY bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0), r.closed_at DESC, r.position DESC
    LIMIT :limit
"""
POSTGRESQL = f"""
    SELECT {_COLUMNS} FROM {TABLE} r, plainto_tsquery('{SEARCH_CONFIG}', :query) query
    WHERE r.{SEARCH_VECTOR} @@ query AND {_LATEST}
    ORDER BY ts_rank(r.{SEARCH_VECTOR}, query) DESC, r.closed_at DESC, r.position DESC
    LIMIT :limit
"""


def words(search: str) -> list[str]:
    """The words to look for: no punctuation, no stop words."""
    return [word for word in WORD.findall(search) if word.lower() not in STOP_WORDS]


def search_query(session: Session, search: str, limit: int) -> ExecutableReturnsRows | None:
    """The statement for the dialect of ``session``, or None when the text has no word to look for."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be from 1 to {MAX_LIMIT}, not {limit}")
    found = words(search)
    if not found:
        return None
    if session.get_bind().dialect.name == "sqlite":
        statement: TextClause = text(SQLITE).bindparams(query=" ".join(f'"{word}"' for word in found), limit=limit)
    else:
        statement = text(POSTGRESQL).bindparams(query=" ".join(found), limit=limit)
    return select(ArchivedRecord).from_statement(statement.columns(*ArchivedRecord.__table__.columns))
