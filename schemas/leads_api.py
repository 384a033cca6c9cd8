"""Bodies of the client-lead endpoints: the form lead sent in, and the page of leads read out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from schemas import canonical
from schemas.callbacks import CallbackFields
from schemas.canonical import DomainAsSent
from schemas.webhooks import Inbound

#: The registry slug lead jobs are counted under (seeded by migration 0002).
LEAD_WORKFLOW = "client-form-lead"
#: The slug of leads sent to `/run/target-client/leads/ingest` (same chain, same tables).
TARGET_LEAD_WORKFLOW = "target-client-lead"

_LEAD_EXAMPLE: dict[str, Any] = {
    "client_domain": "thistlecove.ai",
    "client_form_id": "frm_book_a_call",
    "client_form_title": "Book a call with our team",
    "first_name": "Hollis",
    "last_name": "Varga-Ngata",
    "work_email": "Hollis.Varga-Ngata@Skarvik-Maritime.NO",
    "person_linkedin_url": "https://LinkedIn.com/in/Hollis-Varga-Ngata/",
    "job_title": "Chief Technology Officer",
    "company_name": "Skarvik Maritime",
    "company_domain": "https://www.skarvik-maritime.no/en/contact",
    "company_linkedin_url": "https://www.linkedin.com/company/skarvik-maritime/",
    "company_size": "501-1,000 employees",
    "company_industry": "Maritime Transportation",
    "source": "hubspot_form",
    "submitted_at": "2026-02-03 14:05:09",
    "utm_campaign": "q1-webinar",
}


def _target_body(lead: dict[str, Any]) -> dict[str, Any]:
    """A lead body as the target-client route takes it."""
    return {"target_client_domain": lead["client_domain"]} | {
        k: v for k, v in lead.items() if k != "client_domain"
    }


class LeadIngest(CallbackFields, Inbound):
    """`POST /run/client/leads/ingest`: one form submission; unknown fields are kept."""

    model_config = ConfigDict(json_schema_extra={"examples": [dict(_LEAD_EXAMPLE)]})

    client_domain: DomainAsSent = Field(
        min_length=1, max_length=500, description="The client the lead belongs to, any spelling"
    )
    client_form_id: str | None = None
    client_form_title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    work_email: str | None = None
    person_linkedin_url: str | None = None
    job_title: str | None = None
    company_name: str | None = None
    company_domain: str | None = None
    company_linkedin_url: str | None = None
    company_size: str | None = Field(
        default=None, description="Headcount as written ('51 - 200', '1,200', 40)"
    )
    company_industry: str | None = None
    source: str | None = None
    submitted_at: str | None = Field(
        default=None, description="ISO 8601 (a naive time is UTC) or epoch seconds"
    )

    def normalized_client_domain(self) -> str:
        """The client key the lead is stored and authorised under."""
        domain = canonical.domain(self.client_domain)
        assert domain is not None  # checked by the validator
        return domain

    def lead_fields(self) -> dict[str, Any]:
        """The body `pipeline.leads.normalize_lead` reads: the fields sent, unknown ones
        included, with the client under `client_domain` whichever spelling the route takes."""
        return self.model_dump(exclude_unset=True) | {"client_domain": self.client_domain}


class TargetLeadIngest(LeadIngest):
    """`POST /run/target-client/leads/ingest`: the same lead, its client named
    `target_client_domain` (required); it is stored under that client's key."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [_target_body(_LEAD_EXAMPLE)]},
    )

    client_domain: DomainAsSent = Field(
        validation_alias="target_client_domain",
        min_length=1,
        max_length=500,
        description="The client the lead belongs to, any spelling",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_client(cls, data: Any) -> Any:
        """A `client_domain` beside `target_client_domain` must name the same client (else
        422); it is then dropped, so it can never stand in for the key the route checks."""
        if not isinstance(data, dict) or "client_domain" not in data:
            return data
        given, target = data["client_domain"], data.get("target_client_domain")
        if target is not None and (
            not isinstance(given, str)
            or not isinstance(target, str)
            or canonical.domain(given) != canonical.domain(target)
        ):
            raise PydanticCustomError(
                "client_conflict",
                "names another client than target_client_domain; send target_client_domain only",
                {"field": "client_domain"},
            )
        return {k: v for k, v in data.items() if k != "client_domain"}


#: The slug link jobs are counted under.
LINK_WORKFLOW = "target-client-lead-link"


class TargetLeadLink(TargetLeadIngest):
    """`POST /run/target-client/leads/link`: one lead of the client, named by its lead fields
    (`work_email`, `person_linkedin_url`, `company_domain`; at least one), to join to the
    golden person and company."""


class LeadLinkItem(TargetLeadIngest):
    """One lead of a link batch; its `target_client_domain` may be left to the batch's."""

    client_domain: DomainAsSent | None = Field(  # type: ignore[assignment]
        default=None,
        validation_alias="target_client_domain",
        max_length=500,
        description="The client; the batch's when left out (every lead names one client)",
    )


class LeadLinkBatch(CallbackFields, Inbound):
    """`POST /run/target-client/leads/link-batch`: leads of one client to link."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target_client_domain": "thistlecove.ai",
                    "leads": [
                        {"work_email": "Hollis.Varga-Ngata@Skarvik-Maritime.NO"},
                        {
                            "person_linkedin_url": "https://LinkedIn.com/in/ana-ruiz/",
                            "company_domain": "globex.io",
                        },
                    ],
                }
            ]
        }
    )

    target_client_domain: DomainAsSent | None = Field(
        default=None,
        max_length=500,
        description="The client of every lead (or each lead names it, the same for all)",
    )
    leads: list[LeadLinkItem] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _one_client_for_all(self) -> LeadLinkBatch:
        named = [
            canonical.domain(lead.client_domain) if lead.client_domain else None
            for lead in self.leads
        ]
        top = canonical.domain(self.target_client_domain) if self.target_client_domain else None
        client = top or next((c for c in named if c), None)
        for i, own in enumerate(named):
            if client is None:
                raise PydanticCustomError(
                    "missing",
                    "is required (on the lead or the batch)",
                    {"field": f"leads.{i}.target_client_domain"},
                )
            if own is not None and own != client:
                raise PydanticCustomError(
                    "client_conflict",
                    "names another client than the rest of the batch",
                    {"field": f"leads.{i}.target_client_domain"},
                )
        return self

    def normalized_client_domain(self) -> str:
        """The one client every lead of the batch belongs to."""
        for given in (self.target_client_domain, *(lead.client_domain for lead in self.leads)):
            if given and (domain := canonical.domain(given)):
                return domain
        raise AssertionError("checked by the validator")

    def lead_bodies(self) -> list[dict[str, Any]]:
        """Each lead's fields (`LeadIngest.lead_fields`), under the batch's client."""
        client = self.normalized_client_domain()
        return [lead.lead_fields() | {"client_domain": client} for lead in self.leads]


#: The request model of each lead workflow slug (the envelope's `workflow_slug`).
LEAD_MODELS: dict[str, type[LeadIngest]] = {
    LEAD_WORKFLOW: LeadIngest,
    TARGET_LEAD_WORKFLOW: TargetLeadIngest,
}


def lead_request(workflow_slug: str | None, body: Any) -> LeadIngest:
    """Validate a stored lead body with the model of the route that accepted it."""
    return LEAD_MODELS.get(workflow_slug or LEAD_WORKFLOW, LeadIngest).model_validate(body)


class Lead(BaseModel):
    """One submission in `client.leads`, normalised, under the request's field names."""

    id: int
    job_id: str
    client_domain: str
    client_form_id: str | None = None
    client_form_title: str | None = None
    email: str | None = Field(default=None, description="Normalised `work_email`")
    is_free_email: bool = False
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    linkedin_url: str | None = Field(default=None, description="Canonical `person_linkedin_url`")
    job_title: str | None = None
    seniority: str | None = None
    function: str | None = None
    company_name: str | None = None
    company_domain: str | None = None
    company_linkedin_url: str | None = None
    company_size: str | None = Field(default=None, description="Bucket such as 51-200")
    company_industry: str | None = None
    source: str | None = None
    submitted_at: datetime | None = None
    person_key: str | None = None
    extra: dict[str, Any] = {}
    received_at: datetime
    golden_person: GoldenPerson | None = Field(
        default=None, description="Set once the lead was linked (`/run/target-client/leads/link`)"
    )
    golden_company: GoldenCompany | None = Field(
        default=None, description="Set once the lead was linked (`/run/target-client/leads/link`)"
    )


class LeadPerson(BaseModel):
    """One person per client: keyed by normalised email, else LinkedIn URL."""

    person_key: str
    email: str | None = None
    linkedin_url: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    job_title: str | None = None
    seniority: str | None = None
    function: str | None = None
    company_domain: str | None = None
    lead_count: int
    first_seen_at: datetime
    last_seen_at: datetime


class LeadCompany(BaseModel):
    """One company per client, keyed by normalised domain (never a free-mail domain)."""

    company_domain: str
    company_name: str | None = None
    company_size: str | None = None
    company_industry: str | None = None
    company_linkedin_url: str | None = None
    lead_count: int
    first_seen_at: datetime
    last_seen_at: datetime


class GoldenPerson(BaseModel):
    """The golden person a linked lead joins (`core.people`), found by the link's keys."""

    person_id: int | None = Field(description="None: linked, but no golden person has the keys yet")
    linkedin_url: str | None = None
    full_name: str | None = None
    email: str | None = None
    linked_at: datetime


class GoldenCompany(BaseModel):
    """The golden company a linked lead joins (`core.companies`), found by domain."""

    company_id: int | None = Field(
        description="None: linked, but no golden company has the domain yet"
    )
    domain: str | None = None
    name: str | None = None
    linkedin_url: str | None = None
    industry: str | None = None
    linked_at: datetime


class LeadCounts(BaseModel):
    """Everything the client has, beyond this page."""

    leads: int
    people: int
    companies: int


class LeadsPage(BaseModel):
    """`GET /api/leads`: a page of leads, newest first, with the people and companies they name."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_domain": "thistlecove.ai",
                    "leads": [
                        {
                            "id": 7,
                            "job_id": "3f9d2a4e-5b6c-4d7e-8f90-a1b2c3d4e5f6",
                            "client_domain": "thistlecove.ai",
                            "email": "hollis.varga-ngata@skarvik-maritime.no",
                            "linkedin_url": "https://www.linkedin.com/in/hollis-varga-ngata",
                            "company_domain": "skarvik-maritime.no",
                            "company_size": "501-1000",
                            "seniority": "CXO",
                            "function": "Engineering",
                            "person_key": "hollis.varga-ngata@skarvik-maritime.no",
                            "extra": {"utm_campaign": "q1-webinar"},
                            "submitted_at": "2026-02-03T14:05:09Z",
                            "received_at": "2026-02-03T14:05:10Z",
                            "golden_person": {
                                "person_id": 4182,
                                "linkedin_url": "https://www.linkedin.com/in/hollis-varga-ngata",
                                "full_name": "Hollis Varga-Ngata",
                                "email": "hollis.varga-ngata@skarvik-maritime.no",
                                "linked_at": "2026-02-04T09:00:00Z",
                            },
                            "golden_company": {
                                "company_id": None,
                                "linked_at": "2026-02-04T09:00:00Z",
                            },
                        }
                    ],
                    "people": [
                        {
                            "person_key": "hollis.varga-ngata@skarvik-maritime.no",
                            "lead_count": 1,
                            "first_seen_at": "2026-02-03T14:05:09Z",
                            "last_seen_at": "2026-02-03T14:05:09Z",
                        }
                    ],
                    "companies": [
                        {
                            "company_domain": "skarvik-maritime.no",
                            "lead_count": 1,
                            "first_seen_at": "2026-02-03T14:05:09Z",
                            "last_seen_at": "2026-02-03T14:05:09Z",
                        }
                    ],
                    "counts": {"leads": 1, "people": 1, "companies": 1},
                    "next_cursor": None,
                }
            ]
        }
    )

    client_domain: str
    leads: list[Lead]
    people: list[LeadPerson] = Field(description="The people the leads on this page name")
    companies: list[LeadCompany] = Field(description="The companies the leads on this page name")
    counts: LeadCounts
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next (older) page; null at the end"
    )
