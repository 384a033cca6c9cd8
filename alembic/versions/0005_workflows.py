"""Workflows: raw workflow bodies, company facts, lists, aliases, golden fields, registry.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workflow_payloads",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("workflow_slug", sa.Text(), nullable=False),
        sa.Column(
            "definition",
            sa.Text(),
            nullable=True,
            comment="the definition that extracts it; NULL: none (kept raw)",
        ),
        sa.Column("natural_key", sa.Text(), nullable=True),
        sa.Column(
            "raw_payload",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="the request body as received",
        ),
        sa.Column(
            "extracted",
            sa.Boolean(),
            nullable=True,
            comment="NULL until extracted; false: kept raw only",
        ),
        sa.Column(
            "facts",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="what the extractor made of it",
        ),
        sa.Column(
            "flags", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_payloads")),
        sa.UniqueConstraint("job_id", name=op.f("uq_workflow_payloads_job_id")),
        schema="raw",
    )
    op.create_index(
        "ix_workflow_payloads_slug_received",
        "workflow_payloads",
        ["workflow_slug", "received_at"],
        unique=False,
        schema="raw",
    )
    op.create_table(
        "company_aliases",
        sa.Column(
            "kind", sa.Text(), nullable=False, comment="domain, linkedin, org_id, name or key"
        ),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["core.companies.id"],
            name=op.f("fk_company_aliases_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_company_aliases")),
        schema="core",
    )
    op.create_index(
        "ix_company_aliases_company_id",
        "company_aliases",
        ["company_id"],
        unique=False,
        schema="core",
    )
    op.create_table(
        "company_facts",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column(
            "source", sa.Text(), nullable=False, comment="the workflow slug that observed it"
        ),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_payload_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["core.companies.id"],
            name=op.f("fk_company_facts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw.workflow_payloads.id"],
            name=op.f("fk_company_facts_raw_payload_id_workflow_payloads"),
        ),
        sa.PrimaryKeyConstraint("company_id", "field", "source", name=op.f("pk_company_facts")),
        schema="core",
    )
    op.create_table(
        "company_items",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind", sa.Text(), nullable=False, comment="keyword, technology, investor, social, …"
        ),
        sa.Column("item_key", sa.Text(), nullable=False, comment="the natural key within the kind"),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_payload_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["core.companies.id"],
            name=op.f("fk_company_items_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw.workflow_payloads.id"],
            name=op.f("fk_company_items_raw_payload_id_workflow_payloads"),
        ),
        sa.PrimaryKeyConstraint("company_id", "kind", "item_key", name=op.f("pk_company_items")),
        schema="core",
    )
    op.add_column(
        "companies", sa.Column("linkedin_org_id", sa.Text(), nullable=True), schema="core"
    )
    op.add_column("companies", sa.Column("website", sa.Text(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("industry", sa.Text(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("company_type", sa.Text(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("size_range", sa.Text(), nullable=True), schema="core")
    op.add_column(
        "companies", sa.Column("employee_count", sa.Integer(), nullable=True), schema="core"
    )
    op.add_column(
        "companies", sa.Column("follower_count", sa.Integer(), nullable=True), schema="core"
    )
    op.add_column(
        "companies", sa.Column("founded_year", sa.Integer(), nullable=True), schema="core"
    )
    op.add_column("companies", sa.Column("description", sa.Text(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("headquarters", sa.Text(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("city", sa.Text(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("state", sa.Text(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("country", sa.Text(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("country_code", sa.Text(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("revenue", sa.Text(), nullable=True), schema="core")
    op.add_column(
        "companies", sa.Column("total_funding", sa.BigInteger(), nullable=True), schema="core"
    )
    op.add_column("companies", sa.Column("funding_stage", sa.Text(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("is_public", sa.Boolean(), nullable=True), schema="core")
    op.add_column("companies", sa.Column("is_investor", sa.Boolean(), nullable=True), schema="core")
    op.add_column(
        "companies",
        sa.Column(
            "provenance",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        schema="core",
    )
    op.add_column(
        "enrichment_workflow_registry",
        sa.Column(
            "definition",
            sa.Text(),
            nullable=True,
            comment="the workflow definition that extracts its bodies",
        ),
        schema="reference",
    )
    op.add_column(
        "enrichment_workflow_registry",
        sa.Column(
            "priority",
            sa.Integer(),
            nullable=True,
            comment="coalesce priority of its facts: lower wins",
        ),
        schema="reference",
    )
    op.add_column(
        "enrichment_workflow_registry",
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        schema="reference",
    )


def downgrade() -> None:
    op.drop_column("enrichment_workflow_registry", "is_active", schema="reference")
    op.drop_column("enrichment_workflow_registry", "priority", schema="reference")
    op.drop_column("enrichment_workflow_registry", "definition", schema="reference")
    op.drop_column("companies", "provenance", schema="core")
    op.drop_column("companies", "is_investor", schema="core")
    op.drop_column("companies", "is_public", schema="core")
    op.drop_column("companies", "funding_stage", schema="core")
    op.drop_column("companies", "total_funding", schema="core")
    op.drop_column("companies", "revenue", schema="core")
    op.drop_column("companies", "country_code", schema="core")
    op.drop_column("companies", "country", schema="core")
    op.drop_column("companies", "state", schema="core")
    op.drop_column("companies", "city", schema="core")
    op.drop_column("companies", "headquarters", schema="core")
    op.drop_column("companies", "description", schema="core")
    op.drop_column("companies", "founded_year", schema="core")
    op.drop_column("companies", "follower_count", schema="core")
    op.drop_column("companies", "employee_count", schema="core")
    op.drop_column("companies", "size_range", schema="core")
    op.drop_column("companies", "company_type", schema="core")
    op.drop_column("companies", "industry", schema="core")
    op.drop_column("companies", "website", schema="core")
    op.drop_column("companies", "linkedin_org_id", schema="core")
    op.drop_table("company_items", schema="core")
    op.drop_table("company_facts", schema="core")
    op.drop_index("ix_company_aliases_company_id", table_name="company_aliases", schema="core")
    op.drop_table("company_aliases", schema="core")
    op.drop_index(
        "ix_workflow_payloads_slug_received", table_name="workflow_payloads", schema="raw"
    )
    op.drop_table("workflow_payloads", schema="raw")
