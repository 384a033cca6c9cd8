"""People-side workflows: person facts, aliases, observed jobs, e-mails, signals.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_aliases",
        sa.Column(
            "kind",
            sa.Text(),
            nullable=False,
            comment="linkedin (public URL) or salesnav (member id)",
        ),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_person_aliases_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_person_aliases")),
        schema="core",
    )
    op.create_index(
        "ix_person_aliases_person_id", "person_aliases", ["person_id"], unique=False, schema="core"
    )
    op.create_table(
        "person_emails",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False, comment="normalised"),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("raw_status", sa.Text(), nullable=True),
        sa.Column("certainty", sa.Text(), nullable=True),
        sa.Column("catch_all", sa.Boolean(), nullable=True),
        sa.Column("mx_provider", sa.Text(), nullable=True),
        sa.Column(
            "mx_records",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_payload_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('valid', 'catch_all', 'risky', 'unknown', 'invalid')",
            name=op.f("ck_person_emails_status"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_person_emails_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw.workflow_payloads.id"],
            name=op.f("fk_person_emails_raw_payload_id_workflow_payloads"),
        ),
        sa.PrimaryKeyConstraint("person_id", "email", "provider", name=op.f("pk_person_emails")),
        schema="core",
    )
    op.create_index(
        "ix_person_emails_email", "person_emails", ["email"], unique=False, schema="core"
    )
    op.create_table(
        "person_facts",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
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
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_person_facts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw.workflow_payloads.id"],
            name=op.f("fk_person_facts_raw_payload_id_workflow_payloads"),
        ),
        sa.PrimaryKeyConstraint("person_id", "field", "source", name=op.f("pk_person_facts")),
        schema="core",
    )
    op.create_table(
        "person_jobs",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("job_key", sa.Text(), nullable=False, comment="company key | folded title"),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("company_linkedin_url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("start_precision", sa.Text(), nullable=True),
        sa.Column(
            "supersedes",
            sa.Text(),
            nullable=True,
            comment="job_change or promotion: it ended earlier jobs",
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_payload_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_person_jobs_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw.workflow_payloads.id"],
            name=op.f("fk_person_jobs_raw_payload_id_workflow_payloads"),
        ),
        sa.PrimaryKeyConstraint("person_id", "job_key", name=op.f("pk_person_jobs")),
        schema="core",
    )
    op.create_table(
        "signals",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "client_domain", sa.Text(), nullable=False, comment="'' when the body named none"
        ),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("signal_key", sa.Text(), nullable=False, comment="the event's natural key"),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("company_id", sa.BigInteger(), nullable=True),
        sa.Column("person_linkedin_url", sa.Text(), nullable=True),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("occurred_precision", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_payload_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('job_change', 'promotion', 'new_hire', 'job_posting')",
            name=op.f("ck_signals_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["core.companies.id"], name=op.f("fk_signals_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_signals_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw.workflow_payloads.id"],
            name=op.f("fk_signals_raw_payload_id_workflow_payloads"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
        sa.UniqueConstraint(
            "client_domain",
            "kind",
            "signal_key",
            name=op.f("uq_signals_client_domain_kind_signal_key"),
        ),
        schema="core",
    )
    op.create_index(
        "ix_signals_client_domain_created",
        "signals",
        ["client_domain", "created_at"],
        unique=False,
        schema="core",
    )
    op.add_column(
        "people",
        sa.Column(
            "email", sa.Text(), nullable=True, comment="the best e-mail of `core.person_emails`"
        ),
        schema="core",
    )
    op.add_column(
        "people",
        sa.Column(
            "email_choice",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="why that e-mail: status, source, observed_at",
        ),
        schema="core",
    )


def downgrade() -> None:
    op.drop_column("people", "email_choice", schema="core")
    op.drop_column("people", "email", schema="core")
    op.drop_index("ix_signals_client_domain_created", table_name="signals", schema="core")
    op.drop_table("signals", schema="core")
    op.drop_table("person_jobs", schema="core")
    op.drop_table("person_facts", schema="core")
    op.drop_index("ix_person_emails_email", table_name="person_emails", schema="core")
    op.drop_table("person_emails", schema="core")
    op.drop_index("ix_person_aliases_person_id", table_name="person_aliases", schema="core")
    op.drop_table("person_aliases", schema="core")
