"""The typed rows an extractor returns: facts about companies, with their natural keys.

Only these shapes cross from a definition into the store, so every workflow's facts are
merged, coalesced and shown with provenance by the same code (`pipeline.store.companies`;
people and signals: `pipeline.workflows.people_facts`, `pipeline.store.persons`/`signals`).
Each kind of fact is one field of `Facts`, written by its sink in
`pipeline.store.workflows.SINKS`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from pipeline.workflows.people_facts import PersonFacts, SignalFacts

#: The golden company fields a fact may set, with the Python type each holds.
COMPANY_FIELDS: dict[str, type] = {
    "name": str,
    "linkedin_url": str,
    "linkedin_org_id": str,
    "website": str,
    "industry": str,
    "company_type": str,
    "size_range": str,
    "employee_count": int,
    "follower_count": int,
    "founded_year": int,
    "description": str,
    "headquarters": str,
    "city": str,
    "state": str,
    "country": str,
    "country_code": str,
    "revenue": str,
    "total_funding": int,
    "funding_stage": str,
    "is_public": bool,
    "is_investor": bool,
}

#: List kinds a company has; each item is unique on (kind, item_key).
ITEM_KINDS = frozenset(
    {
        "keyword",
        "technology",
        "industry",
        "category",
        "specialty",
        "naics_code",
        "funding_round",
        "investor",
        "location",
        "social",
        "subsidiary",
    }
)


class Item(BaseModel):
    """One member of a company list: its kind, natural key and value."""

    model_config = ConfigDict(frozen=True)

    kind: str
    key: str
    value: dict[str, Any]

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in ITEM_KINDS:
            raise ValueError(f"unknown list kind {kind!r}")
        return kind


class CompanyFacts(BaseModel):
    """What one body says about one company: identifiers, field values and list items.

    Identifiers (normalised): `domain`, `linkedin_url`, `org_id` (LinkedIn's numeric id),
    `name`; identity is resolved on them in that order (`pipeline.identity`). `fields` holds
    only values the body gave (an omitted field is absent, never None).
    `linkedin_trusted=False`: a LinkedIn URL that conflicts with the one already known for
    the company is not applied; the payload is flagged instead.
    """

    model_config = ConfigDict(frozen=True)

    domain: str | None = None
    linkedin_url: str | None = None
    org_id: str | None = None
    name: str | None = None
    fields: dict[str, Any] = {}
    items: tuple[Item, ...] = ()
    linkedin_trusted: bool = True

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, fields: dict[str, Any]) -> dict[str, Any]:
        for name, value in fields.items():
            kind = COMPANY_FIELDS.get(name)
            if kind is None:
                raise ValueError(f"unknown company field {name!r}")
            if value is None or not isinstance(value, kind):
                raise ValueError(f"{name}: expected {kind.__name__}, got {value!r}")
        return fields

    @property
    def identified(self) -> bool:
        return any((self.domain, self.linkedin_url, self.org_id, self.name))


class Facts(BaseModel):
    """Everything one body says; `observed_at` is the provider's own time, when it gives one."""

    model_config = ConfigDict(frozen=True)

    observed_at: datetime | None = None
    companies: tuple[CompanyFacts, ...] = ()
    people: tuple[PersonFacts, ...] = ()
    signals: tuple[SignalFacts, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether no kind of fact names anything the store can key it on."""
        kinds: tuple[tuple[CompanyFacts | PersonFacts | SignalFacts, ...], ...] = (
            self.companies,
            self.people,
            self.signals,
        )
        return not any(fact.identified for kind in kinds for fact in kind)
