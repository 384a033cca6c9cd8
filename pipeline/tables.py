"""Every table hq-ingest owns, as SQLAlchemy Core metadata (no engine, no I/O).

This module is the single source for Alembic autogenerate; a test checks that the
migrations build exactly these tables. Natural keys carry the unique constraints that the
idempotent upserts in `pipeline.store` rely on.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

#: Constraint names follow one convention so migrations are stable across machines.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

SCHEMAS = ("raw", "extracted", "reference", "core", "client", "ops")

PRECISION_CHECK = "{col} IS NULL OR {col} IN ('day', 'month', 'year', 'unknown')"


def _now(name: str = "created_at") -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


def _raw_text() -> Column[object]:
    return Column(
        "raw_text",
        Text,
        comment="the body as received, kept only when jsonb cannot hold it exactly "
        "(a negative zero)",
    )


def _precision(name: str) -> Column[object]:
    return Column(name, Text, CheckConstraint(PRECISION_CHECK.format(col=name), name=name))


# --- raw: payloads exactly as received --------------------------------------------------

person_payloads = Table(
    "person_payloads",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("job_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("linkedin_url", Text),
    Column("workflow_slug", Text, nullable=False),
    Column("raw_payload", JSONB, nullable=False),
    _raw_text(),
    _now("received_at"),
    # The dashboard finds a person's jobs by it (`pipeline.store.subjects`).
    Index("ix_person_payloads_linkedin_url", "linkedin_url"),
    schema="raw",
)

workflow_payloads = Table(
    "workflow_payloads",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("job_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("workflow_slug", Text, nullable=False),
    Column("definition", Text, comment="the definition that extracts it; NULL: none (kept raw)"),
    Column("natural_key", Text),
    Column("raw_payload", JSONB, nullable=False, comment="the request body as received"),
    _raw_text(),
    Column("extracted", Boolean, comment="NULL until extracted; false: kept raw only"),
    Column("facts", JSONB, comment="what the extractor made of it"),
    Column("flags", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    _now("received_at"),
    Index("ix_workflow_payloads_slug_received", "workflow_slug", "received_at"),
    Index("ix_workflow_payloads_natural_key", "natural_key"),
    schema="raw",
)

client_lead_payloads = Table(
    "client_lead_payloads",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("job_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("client_domain", Text),
    Column("raw_payload", JSONB, nullable=False),
    _raw_text(),
    _now("received_at"),
    Index("ix_client_lead_payloads_client_domain", "client_domain"),
    schema="raw",
)

# --- extracted: what the payload says, normalised ---------------------------------------

person_profile = Table(
    "person_profile",
    metadata,
    Column("linkedin_url", Text, primary_key=True),
    Column("slug", Text, nullable=False),
    Column("shape", Text, nullable=False),
    Column("workflow_slug", Text, nullable=False),
    Column("raw_payload_id", BigInteger, ForeignKey("raw.person_payloads.id"), nullable=False),
    Column("full_name", Text),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("headline", Text),
    Column("summary", Text),
    Column("location_name", Text),
    Column("city", Text),
    Column("state", Text),
    Column("country", Text),
    Column("country_code", Text),
    Column("connections", Integer),
    Column("picture_url", Text),
    Column("refreshed_at", DateTime(timezone=True)),
    _now("extracted_at"),
    schema="extracted",
)

person_experience = Table(
    "person_experience",
    metadata,
    Column(
        "linkedin_url",
        Text,
        ForeignKey("extracted.person_profile.linkedin_url", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("title", Text),
    Column("company_name", Text),
    Column("company_domain", Text),
    Column("company_key", Text),
    Column("company_linkedin_url", Text),
    Column("location", Text),
    Column("start_date", Date),
    _precision("start_precision"),
    Column("end_date", Date),
    _precision("end_precision"),
    Column("is_current", Boolean, nullable=False, server_default=text("false")),
    Column("title_levels", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("title_role", Text),
    Column("title_sub_role", Text),
    PrimaryKeyConstraint("linkedin_url", "position"),
    Index("ix_person_experience_title_lower", text("lower(title)")),
    Index("ix_person_experience_company_domain", "company_domain"),
    schema="extracted",
)

person_education = Table(
    "person_education",
    metadata,
    Column(
        "linkedin_url",
        Text,
        ForeignKey("extracted.person_profile.linkedin_url", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("school_name", Text),
    Column("degree", Text),
    Column("field_of_study", Text),
    Column("start_date", Date),
    _precision("start_precision"),
    Column("end_date", Date),
    _precision("end_precision"),
    PrimaryKeyConstraint("linkedin_url", "position"),
    schema="extracted",
)

# --- reference: lookup tables shared by every person -----------------------------------

job_title_lookup = Table(
    "job_title_lookup",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("title_key", Text, nullable=False, unique=True, comment="lower(trim(squeezed))"),
    Column("latest_title", Text, nullable=False),
    Column("cleaned_job_title", Text),
    Column("seniority_level", Text),
    Column("job_function", Text),
    Column("status", Text, nullable=False, server_default=text("'matched'")),
    _now(),
    _now("updated_at"),
    schema="reference",
)

location_lookup = Table(
    "location_lookup",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("location_key", Text, nullable=False, unique=True),
    Column("location_name", Text, nullable=False),
    Column("city", Text),
    Column("state", Text),
    Column("country", Text),
    Column("country_code", Text),
    _now(),
    _now("updated_at"),
    schema="reference",
)

enrichment_workflow_registry = Table(
    "enrichment_workflow_registry",
    metadata,
    Column("workflow_slug", Text, primary_key=True),
    Column("provider", Text),
    Column("platform", Text),
    Column("payload_type", Text),
    Column("entity_type", Text),
    Column("needs_review", Boolean, nullable=False, server_default=text("false")),
    Column("description", Text),
    _now(),
    Column("definition", Text, comment="the workflow definition that extracts its bodies"),
    Column("priority", Integer, comment="coalesce priority of its facts: lower wins"),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    schema="reference",
)

# --- core: canonical master data -------------------------------------------------------

companies = Table(
    "companies",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("company_key", Text, nullable=False, unique=True, comment="domain, else name:<name>"),
    Column("domain", Text, unique=True),
    Column("name", Text, nullable=False),
    Column("aliases", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("linkedin_url", Text),
    _now(),
    _now("updated_at"),
    # The golden record: each recomputed from `core.company_facts` (see `store.companies`).
    Column("linkedin_org_id", Text),
    Column("website", Text),
    Column("industry", Text),
    Column("company_type", Text),
    Column("size_range", Text),
    Column("employee_count", Integer),
    Column("follower_count", Integer),
    Column("founded_year", Integer),
    Column("description", Text),
    Column("headquarters", Text),
    Column("city", Text),
    Column("state", Text),
    Column("country", Text),
    Column("country_code", Text),
    Column("revenue", Text),
    Column("total_funding", BigInteger),
    Column("funding_stage", Text),
    Column("is_public", Boolean),
    Column("is_investor", Boolean),
    Column("provenance", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Index("ix_companies_linkedin_url", "linkedin_url"),
    schema="core",
)

company_facts = Table(
    "company_facts",
    metadata,
    Column(
        "company_id",
        BigInteger,
        ForeignKey("core.companies.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("field", Text, nullable=False),
    Column("source", Text, nullable=False, comment="the workflow slug that observed it"),
    Column("value", JSONB, nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("raw_payload_id", BigInteger, ForeignKey("raw.workflow_payloads.id")),
    _now("updated_at"),
    PrimaryKeyConstraint("company_id", "field", "source"),
    schema="core",
)

company_items = Table(
    "company_items",
    metadata,
    Column(
        "company_id",
        BigInteger,
        ForeignKey("core.companies.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", Text, nullable=False, comment="keyword, technology, investor, social, …"),
    Column("item_key", Text, nullable=False, comment="the natural key within the kind"),
    Column("value", JSONB, nullable=False),
    Column("source", Text, nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("raw_payload_id", BigInteger, ForeignKey("raw.workflow_payloads.id")),
    PrimaryKeyConstraint("company_id", "kind", "item_key"),
    schema="core",
)

company_aliases = Table(
    "company_aliases",
    metadata,
    Column("kind", Text, nullable=False, comment="domain, linkedin, org_id, name or key"),
    Column("value", Text, nullable=False),
    Column(
        "company_id",
        BigInteger,
        ForeignKey("core.companies.id", ondelete="CASCADE"),
        nullable=False,
    ),
    PrimaryKeyConstraint("kind", "value"),
    Index("ix_company_aliases_company_id", "company_id"),
    schema="core",
)

company_public = Table(
    "company_public",
    metadata,
    Column("domain", Text, primary_key=True),
    Column("company_id", BigInteger, ForeignKey("core.companies.id", ondelete="SET NULL")),
    Column("ticker", Text, nullable=False),
    _now("updated_at"),
    schema="core",
)

people = Table(
    "people",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("linkedin_url", Text, nullable=False, unique=True),
    Column("slug", Text, nullable=False),
    Column("full_name", Text),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("headline", Text),
    Column("source_refreshed_at", DateTime(timezone=True)),
    _now(),
    _now("updated_at"),
    # The best of `core.person_emails` and why it won (see `store.persons`).
    Column("email", Text, comment="the best e-mail of `core.person_emails`"),
    Column("email_choice", JSONB, comment="why that e-mail: status, source, observed_at"),
    schema="core",
)


def _person_fk() -> Column[object]:
    return Column(
        "person_id", BigInteger, ForeignKey("core.people.id", ondelete="CASCADE"), nullable=False
    )


def _company_fk(nullable: bool = True) -> Column[object]:
    return Column("company_id", BigInteger, ForeignKey("core.companies.id"), nullable=nullable)


person_work_history = Table(
    "person_work_history",
    metadata,
    _person_fk(),
    Column("position", Integer, nullable=False),
    _company_fk(),
    Column("company_name", Text),
    Column("company_domain", Text),
    Column("title", Text),
    Column("start_date", Date),
    _precision("start_precision"),
    Column("end_date", Date),
    _precision("end_precision"),
    Column("is_current", Boolean, nullable=False),
    PrimaryKeyConstraint("person_id", "position"),
    Index("ix_person_work_history_company_id", "company_id"),
    schema="core",
)

person_locations = Table(
    "person_locations",
    metadata,
    _person_fk(),
    Column("location_name", Text),
    Column("location_key", Text, index=True),
    Column("city", Text),
    Column("state", Text),
    Column("country", Text),
    Column("country_code", Text),
    Column("matched", Boolean, nullable=False),
    _now("updated_at"),
    PrimaryKeyConstraint("person_id"),
    schema="core",
)

person_tenure = Table(
    "person_tenure",
    metadata,
    _person_fk(),
    _company_fk(),
    Column("company_name", Text),
    Column("company_domain", Text),
    Column("title", Text),
    Column("start_date", Date),
    _precision("start_precision"),
    _now("updated_at"),
    PrimaryKeyConstraint("person_id"),
    schema="core",
)

person_job_titles = Table(
    "person_job_titles",
    metadata,
    _person_fk(),
    Column("latest_title", Text),
    Column("title_key", Text, index=True),
    Column("cleaned_job_title", Text),
    Column("seniority_level", Text),
    Column("job_function", Text),
    Column("matched", Boolean, nullable=False),
    _now("updated_at"),
    PrimaryKeyConstraint("person_id"),
    schema="core",
)

person_promotions = Table(
    "person_promotions",
    metadata,
    _person_fk(),
    Column("position", Integer, nullable=False),
    _company_fk(nullable=False),
    Column("from_title", Text),
    Column("to_title", Text),
    Column("promoted_on", Date),
    _precision("promoted_on_precision"),
    PrimaryKeyConstraint("person_id", "position"),
    schema="core",
)

person_past_employer = Table(
    "person_past_employer",
    metadata,
    _person_fk(),
    _company_fk(nullable=False),
    Column("position", Integer, nullable=False),
    Column("company_name", Text, nullable=False),
    Column("company_domain", Text),
    PrimaryKeyConstraint("person_id", "company_id"),
    schema="core",
)

# --- core: what people-side workflows observed, per source (see `store.persons`) -------

person_aliases = Table(
    "person_aliases",
    metadata,
    Column("kind", Text, nullable=False, comment="linkedin (public URL) or salesnav (member id)"),
    Column("value", Text, nullable=False),
    _person_fk(),
    PrimaryKeyConstraint("kind", "value"),
    Index("ix_person_aliases_person_id", "person_id"),
    schema="core",
)

person_facts = Table(
    "person_facts",
    metadata,
    _person_fk(),
    Column("field", Text, nullable=False),
    Column("source", Text, nullable=False, comment="the workflow slug that observed it"),
    Column("value", JSONB, nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("raw_payload_id", BigInteger, ForeignKey("raw.workflow_payloads.id")),
    _now("updated_at"),
    PrimaryKeyConstraint("person_id", "field", "source"),
    schema="core",
)

person_jobs = Table(
    "person_jobs",
    metadata,
    _person_fk(),
    Column("job_key", Text, nullable=False, comment="company key | folded title"),
    Column("company_name", Text),
    Column("company_domain", Text),
    Column("company_linkedin_url", Text),
    Column("title", Text),
    Column("start_date", Date),
    _precision("start_precision"),
    Column("supersedes", Text, comment="job_change or promotion: it ended earlier jobs"),
    Column("is_current", Boolean, nullable=False, server_default=text("true")),
    Column("source", Text, nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("raw_payload_id", BigInteger, ForeignKey("raw.workflow_payloads.id")),
    PrimaryKeyConstraint("person_id", "job_key"),
    schema="core",
)

person_emails = Table(
    "person_emails",
    metadata,
    _person_fk(),
    Column("email", Text, nullable=False, comment="normalised"),
    Column("provider", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("raw_status", Text),
    Column("certainty", Text),
    Column("catch_all", Boolean),
    Column("mx_provider", Text),
    Column("mx_records", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("source", Text, nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("raw_payload_id", BigInteger, ForeignKey("raw.workflow_payloads.id")),
    PrimaryKeyConstraint("person_id", "email", "provider"),
    CheckConstraint(
        "status IN ('valid', 'catch_all', 'risky', 'unknown', 'invalid')", name="status"
    ),
    Index("ix_person_emails_email", "email"),
    schema="core",
)

signals = Table(
    "signals",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("client_domain", Text, nullable=False, comment="'' when the body named none"),
    Column("kind", Text, nullable=False),
    Column("signal_key", Text, nullable=False, comment="the event's natural key"),
    Column("person_id", BigInteger, ForeignKey("core.people.id", ondelete="SET NULL")),
    _company_fk(),
    Column("person_linkedin_url", Text),
    Column("company_domain", Text),
    Column("company_name", Text),
    Column("title", Text),
    Column("occurred_on", Date),
    _precision("occurred_precision"),
    Column("occurred_at", DateTime(timezone=True)),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("source", Text, nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("raw_payload_id", BigInteger, ForeignKey("raw.workflow_payloads.id")),
    _now(),
    UniqueConstraint("client_domain", "kind", "signal_key"),
    Index("ix_signals_client_domain_created", "client_domain", "created_at"),
    CheckConstraint("kind IN ('job_change', 'promotion', 'new_hire', 'job_posting')", name="kind"),
    schema="core",
)

# --- client: form leads, scoped by client_domain ---------------------------------------

leads = Table(
    "leads",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("job_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("raw_payload_id", BigInteger, ForeignKey("raw.client_lead_payloads.id")),
    Column("client_domain", Text, nullable=False),
    Column("client_form_id", Text),
    Column("client_form_title", Text),
    Column("email", Text),
    Column("is_free_email", Boolean, nullable=False, server_default=text("false")),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("full_name", Text),
    Column("linkedin_url", Text),
    Column("job_title", Text),
    Column("seniority", Text),
    Column("function", Text),
    Column("company_name", Text),
    Column("company_domain", Text),
    Column("company_linkedin_url", Text),
    Column("company_size", Text),
    Column("company_industry", Text),
    Column("source", Text),
    Column("submitted_at", DateTime(timezone=True)),
    Column("person_key", Text),
    Column("extra", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _now(),
    Index("ix_leads_client_domain_created", "client_domain", "created_at"),
    # `GET /api/leads` pages newest first by submission (receipt when not given).
    Index(
        "ix_leads_client_domain_newest",
        "client_domain",
        text("coalesce(submitted_at, created_at) DESC"),
        text("id DESC"),
    ),
    Index("ix_leads_linkedin_url", "linkedin_url"),
    Index("ix_leads_company_domain", "company_domain"),
    schema="client",
)

leads_people = Table(
    "leads_people",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("client_domain", Text, nullable=False),
    Column("person_key", Text, nullable=False),
    Column("email", Text),
    Column("linkedin_url", Text),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("full_name", Text),
    Column("job_title", Text),
    Column("seniority", Text),
    Column("function", Text),
    Column("company_domain", Text),
    Column("lead_count", Integer, nullable=False, server_default=text("1")),
    _now("first_seen_at"),
    _now("last_seen_at"),
    UniqueConstraint("client_domain", "person_key"),
    schema="client",
)

leads_companies = Table(
    "leads_companies",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("client_domain", Text, nullable=False),
    Column("company_domain", Text, nullable=False),
    Column("company_name", Text),
    Column("company_size", Text),
    Column("company_industry", Text),
    Column("company_linkedin_url", Text),
    Column("lead_count", Integer, nullable=False, server_default=text("1")),
    _now("first_seen_at"),
    _now("last_seen_at"),
    UniqueConstraint("client_domain", "company_domain"),
    schema="client",
)

lead_links = Table(
    "lead_links",
    metadata,
    Column("client_domain", Text, nullable=False),
    Column("kind", Text, nullable=False, comment="person or company"),
    Column(
        "link_key",
        Text,
        nullable=False,
        comment="person: the lead person key (e-mail, else LinkedIn URL); company: domain",
    ),
    Column("email", Text, comment="normalised; a key the golden person is found by"),
    Column("linkedin_url", Text, comment="canonical; a key the golden person is found by"),
    Column("person_id", BigInteger, ForeignKey("core.people.id", ondelete="SET NULL")),
    _company_fk(),
    Column("job_id", UUID(as_uuid=False), nullable=False, comment="the link job that set it"),
    _now("linked_at"),
    _now("updated_at"),
    PrimaryKeyConstraint("client_domain", "kind", "link_key"),
    CheckConstraint("kind IN ('person', 'company')", name="kind"),
    # A person or company merge or delete finds the links that name it.
    Index("ix_lead_links_person_id", "person_id"),
    Index("ix_lead_links_company_id", "company_id"),
    schema="client",
)

# --- ops: jobs, their stages, dead letters and API keys --------------------------------

jobs = Table(
    "jobs",
    metadata,
    Column("job_id", UUID(as_uuid=False), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("stage", Text),
    Column("workflow_slug", Text),
    Column("result", JSONB),
    Column("error", Text),
    Column("replays", Integer, nullable=False, server_default=text("0")),
    _now(),
    _now("updated_at"),
    Column("finished_at", DateTime(timezone=True)),
    Column(
        "parent_job_id",
        UUID(as_uuid=False),
        comment="the batch job (a reprocess) this job is one item of",
    ),
    CheckConstraint(
        "status IN ('queued', 'running', 'succeeded', 'failed', 'dead')", name="status"
    ),
    Index("ix_jobs_status_updated", "status", "updated_at"),
    Index(
        "ix_jobs_parent_status",
        "parent_job_id",
        "status",
        postgresql_where=text("parent_job_id IS NOT NULL"),
    ),
    Index("ix_jobs_workflow_slug", "workflow_slug"),
    # The person a finished profile job was about, for the workflow-enrichment status.
    Index("ix_jobs_result_linkedin_url", text("(result ->> 'linkedin_url')")),
    schema="ops",
)

job_stages = Table(
    "job_stages",
    metadata,
    Column("job_id", UUID(as_uuid=False), ForeignKey("ops.jobs.job_id", ondelete="CASCADE")),
    Column("stage", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("error", Text),
    PrimaryKeyConstraint("job_id", "stage"),
    schema="ops",
)

job_events = Table(
    "job_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column(
        "job_id",
        UUID(as_uuid=False),
        ForeignKey("ops.jobs.job_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("stage", Text),
    Column("event", Text, nullable=False),
    Column("detail", Text),
    _now("at"),
    Index("ix_job_events_job_id", "job_id", "id"),
    schema="ops",
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("job_id", UUID(as_uuid=False), nullable=False),
    Column("stage", Text, nullable=False),
    Column("actor_name", Text, nullable=False),
    Column("queue_name", Text, nullable=False),
    Column("message_id", Text, nullable=False, unique=True),
    Column("message", JSONB, nullable=False),
    Column("workflow_slug", Text),
    Column("reason", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("traceback", Text),
    Column("attempts", Integer, nullable=False),
    _now("dead_at"),
    Column("replayed_at", DateTime(timezone=True)),
    Column("replay_count", Integer, nullable=False, server_default=text("0")),
    # The letter's cause, from `pipeline.errorgroups.fingerprint` (written with the letter).
    Column("error_class", Text),
    Column("error_pattern", Text),
    Column("error_group", Text),
    Index("ix_dead_letters_stage_dead_at", "stage", "dead_at"),
    Index("ix_dead_letters_job_id", "job_id"),
    Index("ix_dead_letters_error_group", "error_group", "dead_at"),
    schema="ops",
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("prefix", Text, nullable=False),
    Column("key_hash", Text, nullable=False, unique=True),
    Column("client_domain", Text),
    Column("is_admin", Boolean, nullable=False, server_default=text("false")),
    _now(),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    schema="ops",
)

#: Dashboard sign-ins: the cookie holds a random token, this table only its SHA-256.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("session_hash", Text, primary_key=True),
    # The key signed in with: NULL for the bootstrap admin key (HQ_ADMIN_API_KEY).
    Column("key_id", BigInteger, ForeignKey("ops.api_keys.id", ondelete="CASCADE")),
    Column("key_hash", Text, nullable=False),
    Column("name", Text, nullable=False),
    _now(),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_dashboard_sessions_key_id", "key_id"),
    schema="ops",
)
