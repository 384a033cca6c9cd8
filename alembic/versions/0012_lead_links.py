"""Lead links: a client's lead person or company joined to the golden record
(`client.lead_links`, written by `/run/target-client/leads/link`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_links",
        sa.Column("client_domain", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False, comment="person or company"),
        sa.Column(
            "link_key",
            sa.Text(),
            nullable=False,
            comment="person: the lead person key (e-mail, else LinkedIn URL); company: domain",
        ),
        sa.Column(
            "email",
            sa.Text(),
            nullable=True,
            comment="normalised; a key the golden person is found by",
        ),
        sa.Column(
            "linkedin_url",
            sa.Text(),
            nullable=True,
            comment="canonical; a key the golden person is found by",
        ),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("company_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "job_id", sa.UUID(as_uuid=False), nullable=False, comment="the link job that set it"
        ),
        sa.Column(
            "linked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('person', 'company')", name=op.f("ck_lead_links_kind")),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_lead_links_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["core.companies.id"], name=op.f("fk_lead_links_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("client_domain", "kind", "link_key", name=op.f("pk_lead_links")),
        schema="client",
    )
    op.create_index("ix_lead_links_person_id", "lead_links", ["person_id"], schema="client")
    op.create_index("ix_lead_links_company_id", "lead_links", ["company_id"], schema="client")


def downgrade() -> None:
    op.drop_table("lead_links", schema="client")
