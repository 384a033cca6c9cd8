"""Dead letters keep their cause's fingerprint, so grouping them is a GROUP BY on a column.

Adds `error_class`, `error_pattern` and `error_group` to `ops.dead_letters` and fills them
for the letters already there (in batches, with `pipeline.errorgroups`, the same pure
function `ops.insert_dead_letter` uses for new letters).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pipeline import errorgroups

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Letters fingerprinted per round trip of the backfill.
BATCH = 2000

_letters = sa.table(
    "dead_letters",
    sa.column("id", sa.BigInteger),
    sa.column("workflow_slug", sa.Text),
    sa.column("stage", sa.Text),
    sa.column("error", sa.Text),
    sa.column("error_class", sa.Text),
    sa.column("error_pattern", sa.Text),
    sa.column("error_group", sa.Text),
    schema="ops",
)


def upgrade() -> None:
    for name in ("error_class", "error_pattern", "error_group"):
        op.add_column("dead_letters", sa.Column(name, sa.Text(), nullable=True), schema="ops")
    op.create_index(
        "ix_dead_letters_error_group",
        "dead_letters",
        ["error_group", "dead_at"],
        unique=False,
        schema="ops",
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    c = _letters.c
    update = (
        sa.update(_letters)
        .where(c.id == sa.bindparam("letter_id"))
        .values(
            error_class=sa.bindparam("cls"),
            error_pattern=sa.bindparam("pattern"),
            error_group=sa.bindparam("group"),
        )
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(c.id, c.workflow_slug, c.stage, c.error)
            .where(c.id > last)
            .order_by(c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for row in rows:
            found = errorgroups.fingerprint(
                workflow_slug=row.workflow_slug, stage=row.stage, error=row.error
            )
            values.append(
                {
                    "letter_id": row.id,
                    "cls": found.error_class,
                    "pattern": found.pattern,
                    "group": found.group,
                }
            )
        conn.execute(update, values)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_dead_letters_error_group", table_name="dead_letters", schema="ops")
    for name in ("error_group", "error_pattern", "error_class"):
        op.drop_column("dead_letters", name, schema="ops")
