"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 23:57:02.758552
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: Schemas the service owns; `raw` first because everything downstream refers to it.
SCHEMAS = ("raw", "extracted", "reference", "core", "client", "ops")


def upgrade() -> None:
    for schema in SCHEMAS:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    op.create_table(
        "leads_companies",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("client_domain", sa.Text(), nullable=False),
        sa.Column("company_domain", sa.Text(), nullable=False),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_size", sa.Text(), nullable=True),
        sa.Column("company_industry", sa.Text(), nullable=True),
        sa.Column("company_linkedin_url", sa.Text(), nullable=True),
        sa.Column("lead_count", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "first_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads_companies")),
        sa.UniqueConstraint(
            "client_domain",
            "company_domain",
            name=op.f("uq_leads_companies_client_domain_company_domain"),
        ),
        schema="client",
    )
    op.create_table(
        "leads_people",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("client_domain", sa.Text(), nullable=False),
        sa.Column("person_key", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("linkedin_url", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("job_title", sa.Text(), nullable=True),
        sa.Column("seniority", sa.Text(), nullable=True),
        sa.Column("function", sa.Text(), nullable=True),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("lead_count", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "first_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads_people")),
        sa.UniqueConstraint(
            "client_domain", "person_key", name=op.f("uq_leads_people_client_domain_person_key")
        ),
        schema="client",
    )
    op.create_table(
        "companies",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("company_key", sa.Text(), nullable=False, comment="domain, else name:<name>"),
        sa.Column("domain", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "aliases", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("linkedin_url", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("company_key", name=op.f("uq_companies_company_key")),
        sa.UniqueConstraint("domain", name=op.f("uq_companies_domain")),
        schema="core",
    )
    op.create_table(
        "people",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("linkedin_url", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("headline", sa.Text(), nullable=True),
        sa.Column("source_refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("linkedin_url", name=op.f("uq_people_linkedin_url")),
        schema="core",
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("client_domain", sa.Text(), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        schema="ops",
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("actor_name", sa.Text(), nullable=False),
        sa.Column("queue_name", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("message", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("workflow_slug", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("traceback", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "dead_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replay_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("message_id", name=op.f("uq_dead_letters_message_id")),
        schema="ops",
    )
    op.create_index(
        "ix_dead_letters_job_id", "dead_letters", ["job_id"], unique=False, schema="ops"
    )
    op.create_index(
        "ix_dead_letters_stage_dead_at",
        "dead_letters",
        ["stage", "dead_at"],
        unique=False,
        schema="ops",
    )
    op.create_table(
        "jobs",
        sa.Column("job_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=True),
        sa.Column("workflow_slug", sa.Text(), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("replays", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'dead')",
            name=op.f("ck_jobs_status"),
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_jobs")),
        schema="ops",
    )
    op.create_index(
        "ix_jobs_status_updated", "jobs", ["status", "updated_at"], unique=False, schema="ops"
    )
    op.create_index("ix_jobs_workflow_slug", "jobs", ["workflow_slug"], unique=False, schema="ops")
    op.create_table(
        "client_lead_payloads",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("client_domain", sa.Text(), nullable=True),
        sa.Column("raw_payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_lead_payloads")),
        sa.UniqueConstraint("job_id", name=op.f("uq_client_lead_payloads_job_id")),
        schema="raw",
    )
    op.create_table(
        "person_payloads",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("linkedin_url", sa.Text(), nullable=True),
        sa.Column("workflow_slug", sa.Text(), nullable=False),
        sa.Column("raw_payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_payloads")),
        sa.UniqueConstraint("job_id", name=op.f("uq_person_payloads_job_id")),
        schema="raw",
    )
    op.create_table(
        "enrichment_workflow_registry",
        sa.Column("workflow_slug", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=True),
        sa.Column("platform", sa.Text(), nullable=True),
        sa.Column("payload_type", sa.Text(), nullable=True),
        sa.Column("entity_type", sa.Text(), nullable=True),
        sa.Column("needs_review", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("workflow_slug", name=op.f("pk_enrichment_workflow_registry")),
        schema="reference",
    )
    op.create_table(
        "job_title_lookup",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("title_key", sa.Text(), nullable=False, comment="lower(trim(squeezed))"),
        sa.Column("latest_title", sa.Text(), nullable=False),
        sa.Column("cleaned_job_title", sa.Text(), nullable=True),
        sa.Column("seniority_level", sa.Text(), nullable=True),
        sa.Column("job_function", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'matched'"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_title_lookup")),
        sa.UniqueConstraint("title_key", name=op.f("uq_job_title_lookup_title_key")),
        schema="reference",
    )
    op.create_table(
        "location_lookup",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("location_key", sa.Text(), nullable=False),
        sa.Column("location_name", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("country_code", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_lookup")),
        sa.UniqueConstraint("location_key", name=op.f("uq_location_lookup_location_key")),
        schema="reference",
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("raw_payload_id", sa.BigInteger(), nullable=True),
        sa.Column("client_domain", sa.Text(), nullable=False),
        sa.Column("client_form_id", sa.Text(), nullable=True),
        sa.Column("client_form_title", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("is_free_email", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("linkedin_url", sa.Text(), nullable=True),
        sa.Column("job_title", sa.Text(), nullable=True),
        sa.Column("seniority", sa.Text(), nullable=True),
        sa.Column("function", sa.Text(), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("company_linkedin_url", sa.Text(), nullable=True),
        sa.Column("company_size", sa.Text(), nullable=True),
        sa.Column("company_industry", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("person_key", sa.Text(), nullable=True),
        sa.Column(
            "extra",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw.client_lead_payloads.id"],
            name=op.f("fk_leads_raw_payload_id_client_lead_payloads"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("job_id", name=op.f("uq_leads_job_id")),
        schema="client",
    )
    op.create_index(
        "ix_leads_client_domain_created",
        "leads",
        ["client_domain", "created_at"],
        unique=False,
        schema="client",
    )
    op.create_table(
        "company_public",
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=True),
        sa.Column("ticker", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["core.companies.id"],
            name=op.f("fk_company_public_company_id_companies"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_company_public")),
        schema="core",
    )
    op.create_table(
        "person_job_titles",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("latest_title", sa.Text(), nullable=True),
        sa.Column("title_key", sa.Text(), nullable=True),
        sa.Column("cleaned_job_title", sa.Text(), nullable=True),
        sa.Column("seniority_level", sa.Text(), nullable=True),
        sa.Column("job_function", sa.Text(), nullable=True),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_person_job_titles_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_job_titles")),
        schema="core",
    )
    op.create_index(
        op.f("ix_core_person_job_titles_title_key"),
        "person_job_titles",
        ["title_key"],
        unique=False,
        schema="core",
    )
    op.create_table(
        "person_locations",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("location_name", sa.Text(), nullable=True),
        sa.Column("location_key", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("country_code", sa.Text(), nullable=True),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_person_locations_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_locations")),
        schema="core",
    )
    op.create_index(
        op.f("ix_core_person_locations_location_key"),
        "person_locations",
        ["location_key"],
        unique=False,
        schema="core",
    )
    op.create_table(
        "person_past_employer",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("company_name", sa.Text(), nullable=False),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["core.companies.id"],
            name=op.f("fk_person_past_employer_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_person_past_employer_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "company_id", name=op.f("pk_person_past_employer")),
        schema="core",
    )
    op.create_table(
        "person_promotions",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("from_title", sa.Text(), nullable=True),
        sa.Column("to_title", sa.Text(), nullable=True),
        sa.Column("promoted_on", sa.Date(), nullable=True),
        sa.Column("promoted_on_precision", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["core.companies.id"],
            name=op.f("fk_person_promotions_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_person_promotions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "position", name=op.f("pk_person_promotions")),
        schema="core",
    )
    op.create_table(
        "person_tenure",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("start_precision", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["core.companies.id"],
            name=op.f("fk_person_tenure_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_person_tenure_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_tenure")),
        schema="core",
    )
    op.create_table(
        "person_work_history",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("start_precision", sa.Text(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_precision", sa.Text(), nullable=True),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["core.companies.id"],
            name=op.f("fk_person_work_history_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core.people.id"],
            name=op.f("fk_person_work_history_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "position", name=op.f("pk_person_work_history")),
        schema="core",
    )
    op.create_index(
        "ix_person_work_history_company_id",
        "person_work_history",
        ["company_id"],
        unique=False,
        schema="core",
    )
    op.create_table(
        "person_profile",
        sa.Column("linkedin_url", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("shape", sa.Text(), nullable=False),
        sa.Column("workflow_slug", sa.Text(), nullable=False),
        sa.Column("raw_payload_id", sa.BigInteger(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("headline", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("location_name", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("country_code", sa.Text(), nullable=True),
        sa.Column("connections", sa.Integer(), nullable=True),
        sa.Column("picture_url", sa.Text(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "extracted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw.person_payloads.id"],
            name=op.f("fk_person_profile_raw_payload_id_person_payloads"),
        ),
        sa.PrimaryKeyConstraint("linkedin_url", name=op.f("pk_person_profile")),
        schema="extracted",
    )
    op.create_table(
        "job_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("stage", sa.Text(), nullable=True),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["ops.jobs.job_id"],
            name=op.f("fk_job_events_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_events")),
        schema="ops",
    )
    op.create_index(
        "ix_job_events_job_id", "job_events", ["job_id", "id"], unique=False, schema="ops"
    )
    op.create_table(
        "job_stages",
        sa.Column("job_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["ops.jobs.job_id"],
            name=op.f("fk_job_stages_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "stage", name=op.f("pk_job_stages")),
        schema="ops",
    )
    op.create_table(
        "person_education",
        sa.Column("linkedin_url", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("school_name", sa.Text(), nullable=True),
        sa.Column("degree", sa.Text(), nullable=True),
        sa.Column("field_of_study", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("start_precision", sa.Text(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_precision", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["linkedin_url"],
            ["extracted.person_profile.linkedin_url"],
            name=op.f("fk_person_education_linkedin_url_person_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("linkedin_url", "position", name=op.f("pk_person_education")),
        schema="extracted",
    )
    op.create_table(
        "person_experience",
        sa.Column("linkedin_url", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("company_key", sa.Text(), nullable=True),
        sa.Column("company_linkedin_url", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("start_precision", sa.Text(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_precision", sa.Text(), nullable=True),
        sa.Column("is_current", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "title_levels",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("title_role", sa.Text(), nullable=True),
        sa.Column("title_sub_role", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["linkedin_url"],
            ["extracted.person_profile.linkedin_url"],
            name=op.f("fk_person_experience_linkedin_url_person_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("linkedin_url", "position", name=op.f("pk_person_experience")),
        schema="extracted",
    )
    op.create_index(
        "ix_person_experience_title_lower",
        "person_experience",
        [sa.literal_column("lower(title)")],
        unique=False,
        schema="extracted",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_person_experience_title_lower", table_name="person_experience", schema="extracted"
    )
    op.drop_table("person_experience", schema="extracted")
    op.drop_table("person_education", schema="extracted")
    op.drop_table("job_stages", schema="ops")
    op.drop_index("ix_job_events_job_id", table_name="job_events", schema="ops")
    op.drop_table("job_events", schema="ops")
    op.drop_table("person_profile", schema="extracted")
    op.drop_index(
        "ix_person_work_history_company_id", table_name="person_work_history", schema="core"
    )
    op.drop_table("person_work_history", schema="core")
    op.drop_table("person_tenure", schema="core")
    op.drop_table("person_promotions", schema="core")
    op.drop_table("person_past_employer", schema="core")
    op.drop_index(
        op.f("ix_core_person_locations_location_key"), table_name="person_locations", schema="core"
    )
    op.drop_table("person_locations", schema="core")
    op.drop_index(
        op.f("ix_core_person_job_titles_title_key"), table_name="person_job_titles", schema="core"
    )
    op.drop_table("person_job_titles", schema="core")
    op.drop_table("company_public", schema="core")
    op.drop_index("ix_leads_client_domain_created", table_name="leads", schema="client")
    op.drop_table("leads", schema="client")
    op.drop_table("location_lookup", schema="reference")
    op.drop_table("job_title_lookup", schema="reference")
    op.drop_table("enrichment_workflow_registry", schema="reference")
    op.drop_table("person_payloads", schema="raw")
    op.drop_table("client_lead_payloads", schema="raw")
    op.drop_index("ix_jobs_workflow_slug", table_name="jobs", schema="ops")
    op.drop_index("ix_jobs_status_updated", table_name="jobs", schema="ops")
    op.drop_table("jobs", schema="ops")
    op.drop_index("ix_dead_letters_stage_dead_at", table_name="dead_letters", schema="ops")
    op.drop_index("ix_dead_letters_job_id", table_name="dead_letters", schema="ops")
    op.drop_table("dead_letters", schema="ops")
    op.drop_table("api_keys", schema="ops")
    op.drop_table("people", schema="core")
    op.drop_table("companies", schema="core")
    op.drop_table("leads_people", schema="client")
    op.drop_table("leads_companies", schema="client")
    for schema in reversed(SCHEMAS):
        op.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
