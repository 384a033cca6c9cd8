"""Bodies of the read and registry endpoints: workflows, enrichment status, companies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from schemas.canonical import LinkedInProfileUrl
from schemas.reference_api import SLUG_PATTERN, PartialUpdate, examples
from schemas.webhooks import Inbound


class JobCounts(BaseModel):
    """Jobs of one workflow by status (jobs still waiting in Redis are not counted)."""

    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    dead: int = 0
    total: int = 0


_WORKFLOW_EXAMPLE: dict[str, Any] = {
    "workflow_slug": "clay-person-profile",
    "provider": "clay",
    "platform": "clay",
    "payload_type": "person_profile",
    "entity_type": "person",
    "needs_review": False,
    "description": "Clay enrich-person",
    "registered": True,
    "created_at": "2026-02-01T10:00:00Z",
    "counts": {"succeeded": 120, "dead": 2, "total": 122},
}


class Workflow(BaseModel):
    """One row of `reference.enrichment_workflow_registry`, with its job counts."""

    model_config = examples(_WORKFLOW_EXAMPLE)

    workflow_slug: str
    provider: str | None = None
    platform: str | None = None
    payload_type: str | None = None
    entity_type: str | None = None
    needs_review: bool = False
    description: str | None = None
    registered: bool = Field(
        default=True, description="False for a slug seen on jobs but absent from the registry"
    )
    created_at: datetime | None = None
    definition: str | None = Field(
        default=None, description="The workflow definition that extracts its bodies"
    )
    priority: int | None = Field(default=None, description="Coalesce priority: lower wins")
    is_active: bool = True
    paths: list[str] = Field(default=[], description="The routes its bodies are sent to")
    entity: str | None = Field(default=None, description="What its definition's bodies are about")
    extracts: bool = Field(
        default=False, description="Whether a definition in this deployment extracts its bodies"
    )
    counts: JobCounts = Field(default_factory=JobCounts)


class WorkflowList(BaseModel):
    """`GET /api/enrichment/workflows`."""

    model_config = examples({"workflows": [_WORKFLOW_EXAMPLE]})

    workflows: list[Workflow]


class WorkflowRegistration(PartialUpdate):
    """`POST /api/enrichment/workflows` (admin): register or describe a workflow slug."""

    model_config = examples(
        {
            "workflow_slug": "clay-apollo-person-enrichment",
            "provider": "apollo",
            "platform": "clay",
            "payload_type": "person_profile",
            "entity_type": "person",
            "description": "Apollo person enrichment forwarded by Clay",
        }
    )

    workflow_slug: str = Field(min_length=1, max_length=200, pattern=SLUG_PATTERN)
    provider: str | None = Field(default=None, max_length=100)
    platform: str | None = Field(default=None, max_length=100)
    payload_type: str | None = Field(default=None, max_length=100)
    entity_type: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    needs_review: bool = Field(default=False, description="Registering a slug reviews it")
    definition: str | None = Field(
        default=None,
        max_length=200,
        description="A known workflow definition whose route and extractor this slug uses",
    )
    priority: int | None = Field(
        default=None, ge=0, le=1000, description="Coalesce priority of its facts: lower wins"
    )
    is_active: bool | None = Field(
        default=None, description="False: bodies naming this slug are refused (422)"
    )

    @classmethod
    def updatable(cls) -> tuple[str, ...]:
        return (
            "provider",
            "platform",
            "payload_type",
            "entity_type",
            "description",
            "definition",
            "priority",
            "is_active",
        )


class EnrichmentStatusQuery(Inbound):
    """`POST /api/people/workflow-enrichment-status`."""

    model_config = examples(
        {
            "person_linkedin_url": "linkedin.com/in/marisol-quennell-4b2e/",
            "workflow_slug": "clay-person-profile",
        }
    )

    person_linkedin_url: LinkedInProfileUrl = Field(min_length=1, max_length=1000)
    workflow_slug: str = Field(min_length=1, max_length=200, pattern=SLUG_PATTERN)


class EnrichmentStatus(BaseModel):
    """Whether a workflow has enriched a person: its succeeded jobs for that person."""

    model_config = examples(
        {
            "enriched": True,
            "count": 2,
            "last_enriched_at": "2026-02-03T14:05:09Z",
            "person_linkedin_url": "https://www.linkedin.com/in/marisol-quennell-4b2e",
            "workflow_slug": "clay-person-profile",
        }
    )

    enriched: bool
    count: int
    last_enriched_at: datetime | None = None
    person_linkedin_url: str
    workflow_slug: str


class Provenance(BaseModel):
    """Where a golden field's value came from: the workflow slug, and when it was observed."""

    source: str
    observed_at: datetime


class CompanyPeople(BaseModel):
    """How many people in `core` work at a company now, and how many used to."""

    current: int
    past: int


class Company(BaseModel):
    """`GET /api/companies/{domain}`."""

    model_config = examples(
        {
            "company_key": "skarvik-maritime.no",
            "domain": "skarvik-maritime.no",
            "name": "Skarvik Maritime",
            "aliases": ["Skarvik Maritime AS"],
            "linkedin_url": "https://www.linkedin.com/company/skarvik-maritime",
            "ticker": "SKARV",
            "people": {"current": 12, "past": 3},
        }
    )

    company_key: str
    domain: str | None
    name: str
    aliases: list[str] = []
    linkedin_url: str | None = None
    ticker: str | None = None
    people: CompanyPeople
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # The golden record: each field from the best source (registry priority, then recency).
    linkedin_org_id: str | None = None
    website: str | None = None
    industry: str | None = None
    company_type: str | None = None
    size_range: str | None = None
    employee_count: int | None = None
    follower_count: int | None = None
    founded_year: int | None = None
    description: str | None = None
    headquarters: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    country_code: str | None = None
    revenue: str | None = None
    total_funding: int | None = None
    funding_stage: str | None = None
    is_public: bool | None = None
    is_investor: bool | None = None
    # Lists: sets from every source, each on its natural key.
    keywords: list[str] = []
    technologies: list[str] = []
    industries: list[str] = []
    categories: list[str] = []
    specialties: list[str] = []
    naics_codes: list[str] = []
    investors: list[str] = []
    funding_rounds: list[dict[str, Any]] = []
    locations: list[dict[str, Any]] = []
    socials: list[dict[str, Any]] = []
    subsidiaries: list[dict[str, Any]] = []
    provenance: dict[str, Provenance] = Field(
        default_factory=dict, description="Per golden field: the source it came from, and when"
    )
