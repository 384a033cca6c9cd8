"""Observed person jobs say whether they are current (SalesNav past employers are not).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "person_jobs",
        sa.Column("is_current", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        schema="core",
    )


def downgrade() -> None:
    op.drop_column("person_jobs", "is_current", schema="core")
