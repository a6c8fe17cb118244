"""The incident archive: the append-only table of archived records, its full-text index and its guards.

Revision ID: 0001_archive
Revises:
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_archive"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "archived_records"
ORIGINAL = sa.text("kind = 'record'")
REFUSED = "archived records are append-only: corrections are appended, never edited in place"

SQLITE_UP = [
    f"""CREATE VIRTUAL TABLE {TABLE}_fts USING fts5(
        title, search_text, content='{TABLE}', content_rowid='position', tokenize='porter unicode61')""",
    f"""CREATE TRIGGER {TABLE}_fts_insert AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {TABLE}_fts (rowid, title, search_text) VALUES (new.position, new.title, new.search_text);
    END""",
    f"""CREATE TRIGGER {TABLE}_fts_delete AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {TABLE}_fts ({TABLE}_fts, rowid, title, search_text)
            VALUES ('delete', old.position, old.title, old.search_text);
    END""",
    f"""CREATE TRIGGER {TABLE}_fts_update AFTER UPDATE ON {TABLE} BEGIN
        INSERT INTO {TABLE}_fts ({TABLE}_fts, rowid, title, search_text)
            VALUES ('delete', old.position, old.title, old.search_text);
        INSERT INTO {TABLE}_fts (rowid, title, search_text) VALUES (new.position, new.title, new.search_text);
    END""",
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} BEGIN
        SELECT RAISE(ABORT, '{REFUSED}');
    END""",
    f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} BEGIN
        SELECT RAISE(ABORT, '{REFUSED}');
    END""",
]
SQLITE_DOWN = [
    f"DROP TRIGGER {TABLE}_no_delete",
    f"DROP TRIGGER {TABLE}_no_update",
    f"DROP TRIGGER {TABLE}_fts_update",
    f"DROP TRIGGER {TABLE}_fts_delete",
    f"DROP TRIGGER {TABLE}_fts_insert",
    f"DROP TABLE {TABLE}_fts",
]
POSTGRESQL_UP = [
    f"""ALTER TABLE {TABLE} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', search_text), 'B')
    ) STORED""",
    f"CREATE INDEX ix_{TABLE}_search ON {TABLE} USING gin (search_vector)",
    f"""CREATE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSED}';
    END $$""",
    f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()""",
    f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()""",
]
POSTGRESQL_DOWN = [
    f"DROP TRIGGER {TABLE}_no_truncate ON {TABLE}",
    f"DROP TRIGGER {TABLE}_append_only ON {TABLE}",
    f"DROP FUNCTION {TABLE}_append_only()",
]


def _moment(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("corrects", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.String(100), nullable=False),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("team", sa.String(200), nullable=True),
        sa.Column("priority", sa.String(2), nullable=True),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        _moment("opened_at"),
        _moment("closed_at"),
        sa.Column("mtta_seconds", sa.Float(), nullable=True),
        sa.Column("mttr_seconds", sa.Float(), nullable=True),
        sa.Column("sla_breached", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_digest", sa.String(64), nullable=False),
        sa.Column("previous_digest", sa.String(64), nullable=False),
        sa.Column("chain_digest", sa.String(64), nullable=False),
        _moment("archived_at"),
        sa.PrimaryKeyConstraint("position", name=f"pk_{TABLE}"),
        sa.ForeignKeyConstraint(["corrects"], [f"{TABLE}.position"], name=f"fk_{TABLE}_corrects"),
        sa.UniqueConstraint("chain_digest", name=f"uq_{TABLE}_chain_digest"),
        sa.CheckConstraint("kind IN ('record', 'correction')", name=f"ck_{TABLE}_kind"),
        sa.CheckConstraint("(kind = 'record') = (corrects IS NULL)", name=f"ck_{TABLE}_corrects"),
    )
    op.create_index(
        f"ux_{TABLE}_original", TABLE, ["incident_id"], unique=True, sqlite_where=ORIGINAL, postgresql_where=ORIGINAL
    )
    op.create_index(f"ux_{TABLE}_version", TABLE, ["incident_id", "content_digest"], unique=True)
    op.create_index(f"ix_{TABLE}_incident", TABLE, ["incident_id", "position"])
    op.create_index(f"ix_{TABLE}_closed", TABLE, ["closed_at", "position"])
    op.create_index(f"ix_{TABLE}_service_closed", TABLE, ["service", "closed_at", "position"])
    op.create_index(f"ix_{TABLE}_team_closed", TABLE, ["team", "closed_at", "position"])
    op.create_index(f"ix_{TABLE}_priority_closed", TABLE, ["priority", "closed_at", "position"])
    op.create_index(f"ix_{TABLE}_similar", TABLE, ["service", "category", "closed_at"])
    for statement in SQLITE_UP if op.get_context().dialect.name == "sqlite" else POSTGRESQL_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if op.get_context().dialect.name == "sqlite" else POSTGRESQL_DOWN:
        op.execute(statement)
    op.drop_table(TABLE)
