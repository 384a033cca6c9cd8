"""Reprocess: a job may be one item of a batch job (`ops.jobs.parent_job_id`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "jobs",
        sa.Column(
            "parent_job_id",
            sa.UUID(as_uuid=False),
            nullable=True,
            comment="the batch job (a reprocess) this job is one item of",
        ),
        schema="ops",
    )
    op.create_index(
        "ix_jobs_parent_status",
        "jobs",
        ["parent_job_id", "status"],
        schema="ops",
        postgresql_where=sa.text("parent_job_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_parent_status", table_name="jobs", schema="ops")
    op.drop_column("jobs", "parent_job_id", schema="ops")
