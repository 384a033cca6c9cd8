"""Raw text: the body as received beside its jsonb, kept only when jsonb cannot hold it
exactly (a negative zero), on each raw payload table.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("person_payloads", "workflow_payloads", "client_lead_payloads")
COMMENT = "the body as received, kept only when jsonb cannot hold it exactly (a negative zero)"


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("raw_text", sa.Text(), nullable=True, comment=COMMENT),
            schema="raw",
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "raw_text", schema="raw")
