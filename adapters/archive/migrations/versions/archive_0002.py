"""What ``incidents stats`` reads, as columns: each clock's SLA verdict and the number of escalations, filled in from
every archived record's content, and an index on when incidents opened.

The backfill is one UPDATE in SQL (SQLite's JSON functions, PostgreSQL's jsonb), so ``alembic upgrade head --sql``
prints it too; the append-only guard is lifted for that statement only, inside the migration's transaction.

Revision ID: 0002_stats
Revises: 0001_archive
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_stats"
down_revision: str | Sequence[str] | None = "0001_archive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "archived_records"
REFUSED = "archived records are append-only: corrections are appended, never edited in place"

SQLITE_VERDICT = (
    "(SELECT json_extract(clock.value, '$.state') FROM json_each({table}.content, '$.sla') AS clock "
    "WHERE json_extract(clock.value, '$.clock') = '{name}' LIMIT 1)"
)
SQLITE_ESCALATIONS = (
    "(SELECT count(*) FROM json_each({table}.content, '$.escalations') AS escalation "
    "WHERE json_extract(escalation.value, '$.index') > 0)"
)
POSTGRESQL_VERDICT = (
    "(SELECT clock ->> 'state' FROM jsonb_array_elements({table}.content::jsonb -> 'sla') AS clock "
    "WHERE clock ->> 'clock' = '{name}' LIMIT 1)"
)
POSTGRESQL_ESCALATIONS = (
    "(SELECT count(*) FROM jsonb_array_elements({table}.content::jsonb -> 'escalations') AS escalation "
    "WHERE (escalation ->> 'index')::integer > 0)"
)
SQLITE_GUARD = f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} BEGIN
        SELECT RAISE(ABORT, '{REFUSED}');
    END"""


def _backfill(verdict: str, escalations: str) -> str:
    return (
        f"UPDATE {TABLE} SET "
        f"acknowledge_sla = {verdict.format(table=TABLE, name='acknowledge')}, "
        f"resolve_sla = {verdict.format(table=TABLE, name='resolve')}, "
        f"escalations = {escalations.format(table=TABLE)}"
    )


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("acknowledge_sla", sa.String(10), nullable=True))
    op.add_column(TABLE, sa.Column("resolve_sla", sa.String(10), nullable=True))
    op.add_column(TABLE, sa.Column("escalations", sa.Integer(), server_default=sa.text("0"), nullable=False))
    if op.get_context().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER {TABLE}_no_update")
        op.execute(_backfill(SQLITE_VERDICT, SQLITE_ESCALATIONS))
        op.execute(SQLITE_GUARD)
    else:
        op.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_append_only")
        op.execute(_backfill(POSTGRESQL_VERDICT, POSTGRESQL_ESCALATIONS))
        op.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_append_only")
    op.create_index(f"ix_{TABLE}_opened", TABLE, ["opened_at"])


def downgrade() -> None:
    op.drop_index(f"ix_{TABLE}_opened", TABLE)
    op.drop_column(TABLE, "escalations")
    op.drop_column(TABLE, "resolve_sla")
    op.drop_column(TABLE, "acknowledge_sla")
