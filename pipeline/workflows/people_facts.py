"""The typed rows people-side extractors return: people, their jobs and e-mails, signals.

Like `pipeline.workflows.facts.CompanyFacts`, only these shapes cross from a definition into
the store (`pipeline.store.persons`, `pipeline.store.signals`), so every people workflow's
facts are merged, coalesced and shown with provenance by the same code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from schemas.records import PartialDate

#: The golden person fields a fact may set (all text).
PERSON_FIELDS = frozenset({"full_name", "first_name", "last_name", "headline", "location_name"})

#: E-mail statuses, best first; `invalid` is kept but never chosen.
EmailStatus = Literal["valid", "catch_all", "risky", "unknown", "invalid"]

#: Signal kinds.
SignalKind = Literal["job_change", "promotion", "new_hire", "job_posting"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class JobFact(_Frozen):
    """A job a source says the person holds (or took): one work-history row.

    `supersedes`: the job replaced the person's earlier current job (a job change: other
    companies' current rows end; a promotion: the same company's other titles end).
    `current=False`: a past job (a SalesNav past employer).
    """

    company_name: str | None = None
    company_domain: str | None = None
    company_linkedin_url: str | None = None
    title: str | None = None
    start: PartialDate | None = None
    supersedes: Literal["job_change", "promotion"] | None = None
    current: bool = True


class EmailFact(_Frozen):
    """One provider's answer for one e-mail address of the person."""

    email: str
    provider: str
    status: EmailStatus
    raw_status: str | None = None
    certainty: str | None = None
    catch_all: bool | None = None
    mx_provider: str | None = None
    mx_records: tuple[str, ...] = ()
    details: dict[str, Any] = {}


class PersonFacts(_Frozen):
    """What one body says about one person.

    Identity: `linkedin_url` (normalised public profile URL) and/or `salesnav_id` (the
    Sales Navigator member id, `ACwAA…`); a person known only by the latter is its own
    identity until a body names both. `fields` holds only values the body gave.
    """

    linkedin_url: str | None = None
    salesnav_id: str | None = None
    fields: dict[str, str] = {}
    jobs: tuple[JobFact, ...] = ()
    emails: tuple[EmailFact, ...] = ()

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, fields: dict[str, str]) -> dict[str, str]:
        for name, value in fields.items():
            if name not in PERSON_FIELDS:
                raise ValueError(f"unknown person field {name!r}")
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name}: expected text, got {value!r}")
        return fields

    @property
    def identified(self) -> bool:
        return bool(self.linkedin_url or self.salesnav_id)


class SignalFacts(_Frozen):
    """One event for one client: its kind, natural key and what it says.

    `key` is unique per (client_domain, kind); a re-fire of the same event has the same key.
    `person_linkedin_url`/`person_salesnav_id` name the person (their facts travel in
    `Facts.people`); `company_*` the company it happened at.
    """

    kind: SignalKind
    client_domain: str
    key: str
    person_linkedin_url: str | None = None
    person_salesnav_id: str | None = None
    company_domain: str | None = None
    company_linkedin_url: str | None = None
    company_name: str | None = None
    title: str | None = None
    occurred_on: PartialDate | None = None
    occurred_at: datetime | None = None
    details: dict[str, Any] = {}

    @property
    def identified(self) -> bool:
        return bool(self.key and self.client_domain is not None)
