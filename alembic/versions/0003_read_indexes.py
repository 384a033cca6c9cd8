"""Indexes for the read API: leads newest first, and a person's finished profile jobs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_leads_client_domain_newest",
        "leads",
        [
            "client_domain",
            sa.literal_column("coalesce(submitted_at, created_at) DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
        schema="client",
    )
    op.create_index(
        "ix_jobs_result_linkedin_url",
        "jobs",
        [sa.literal_column("(result ->> 'linkedin_url')")],
        unique=False,
        schema="ops",
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_result_linkedin_url", table_name="jobs", schema="ops")
    op.drop_index("ix_leads_client_domain_newest", table_name="leads", schema="client")
