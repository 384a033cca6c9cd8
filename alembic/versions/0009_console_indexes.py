"""Indexes the operator's console searches jobs by: a person, a client, a company.

`pipeline.store.subjects` finds the jobs about a LinkedIn URL, a client domain or a company
domain through raw payloads, leads and extracted experience; without these, each search
would scan those tables.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (index, table, column, schema)
INDEXES = (
    ("ix_person_payloads_linkedin_url", "person_payloads", "linkedin_url", "raw"),
    ("ix_workflow_payloads_natural_key", "workflow_payloads", "natural_key", "raw"),
    ("ix_client_lead_payloads_client_domain", "client_lead_payloads", "client_domain", "raw"),
    ("ix_person_experience_company_domain", "person_experience", "company_domain", "extracted"),
    ("ix_leads_linkedin_url", "leads", "linkedin_url", "client"),
    ("ix_leads_company_domain", "leads", "company_domain", "client"),
)


def upgrade() -> None:
    for name, table, column, schema in INDEXES:
        op.create_index(name, table, [column], unique=False, schema=schema)


def downgrade() -> None:
    for name, table, _column, schema in reversed(INDEXES):
        op.drop_index(name, table_name=table, schema=schema)
