"""Bodies of the reference endpoints: lookups, updates and backfills.

Request models subclass `Inbound` (strings trimmed, unknown fields kept, empty Clay cells
read as absent). Updates remember which fields the caller sent (`model_fields_set`): a field
left out, or sent as an empty cell, keeps its stored value.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.canonical import Domain, JobFunction, Seniority
from schemas.webhooks import Inbound

#: The slug pattern every workflow_slug follows (as `PersonProfileIngest` does).
SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


def examples(*examples: dict[str, Any]) -> ConfigDict:
    """Model config that puts `examples` in the model's JSON schema (and so in OpenAPI)."""
    return ConfigDict(json_schema_extra={"examples": list(examples)})


# --- lookups -----------------------------------------------------------------------------


class JobTitleLookup(Inbound):
    """`POST /run/people/db/person-job-title/lookup`."""

    model_config = examples({"job_title": "VP of Sales"})

    job_title: str = Field(min_length=1, max_length=500, description="The title as written")


class LocationLookup(Inbound):
    """`POST /run/people/db/person-location/lookup`."""

    model_config = examples({"location_name": "Boulder, CO 80302"})

    location_name: str = Field(min_length=1, max_length=500, description="Free-text location")


class TitleSuggestion(BaseModel):
    """The built-in classifier's reading of a title that the reference table does not know."""

    cleaned_job_title: str | None
    seniority_level: str | None
    job_function: str | None


class LocationSuggestion(BaseModel):
    """The built-in gazetteer's reading of a location that the reference table does not know."""

    city: str | None
    state: str | None
    country: str | None
    country_code: str | None


class JobTitleLookupResult(BaseModel):
    """The answer of a job-title lookup; `suggestion` only on a miss."""

    model_config = examples(
        {
            "match_status": False,
            "job_title": "VP of Sales",
            "cleaned_job_title": None,
            "seniority_level": None,
            "job_function": None,
            "suggestion": {
                "cleaned_job_title": "VP of Sales",
                "seniority_level": "VP",
                "job_function": "Sales",
            },
            "job_id": "0b8e1f7e-2a0c-4a55-9d7c-7d1b3c9a0e11",
        }
    )

    match_status: bool
    job_title: str
    cleaned_job_title: str | None = None
    seniority_level: str | None = None
    job_function: str | None = None
    suggestion: TitleSuggestion | None = None
    job_id: str | None = None


class LocationLookupResult(BaseModel):
    """The answer of a location lookup; `suggestion` only on a miss."""

    model_config = examples(
        {
            "match_status": True,
            "location_name": "Boulder, CO 80302",
            "city": "Boulder",
            "state": "Colorado",
            "country": "United States",
            "has_city": True,
            "has_state": True,
            "has_country": True,
            "job_id": "6f1c3f0a-8d7e-4f4e-bb7a-1e0c2b3d4a5f",
        }
    )

    match_status: bool
    location_name: str
    city: str | None = None
    state: str | None = None
    country: str | None = None
    has_city: bool = False
    has_state: bool = False
    has_country: bool = False
    suggestion: LocationSuggestion | None = None
    job_id: str | None = None


# --- updates -----------------------------------------------------------------------------


class PartialUpdate(Inbound):
    """An update: only the optional fields the caller sent are written."""

    def changes(self) -> dict[str, Any]:
        """The optional fields present in the request; the others keep their stored values."""
        return {f: getattr(self, f) for f in self.updatable() if f in self.model_fields_set}

    @classmethod
    def updatable(cls) -> tuple[str, ...]:
        raise NotImplementedError


class JobTitleUpdate(PartialUpdate):
    """`POST /run/reference/job-title/update`."""

    model_config = examples(
        {
            "latest_title": "VP of Sales",
            "cleaned_job_title": "Vice President of Sales",
            "seniority_level": "VP",
            "job_function": "Sales",
            "status": "verified",
        },
        {"latest_title": "Head of Growth", "cleaned_job_title": "Head of Growth"},
    )

    latest_title: str = Field(min_length=1, max_length=500, description="The title as seen")
    cleaned_job_title: str = Field(min_length=1, max_length=500)
    seniority_level: Seniority | None = Field(
        default=None, description="One of LinkedIn's ten levels; left out = keep stored value"
    )
    job_function: JobFunction | None = Field(
        default=None, description="One of LinkedIn's 26 functions; left out = keep stored value"
    )
    status: str | None = Field(default=None, max_length=50, examples=["verified"])

    @classmethod
    def updatable(cls) -> tuple[str, ...]:
        return ("seniority_level", "job_function", "status")


class LocationUpdate(PartialUpdate):
    """`POST /run/reference/location/update`."""

    model_config = examples(
        {
            "location_name": "Greater Boston",
            "city": "Boston",
            "state": "Massachusetts",
            "country": "United States",
        },
        {"location_name": "Bay Area", "state": "California"},
    )

    location_name: str = Field(min_length=1, max_length=500)
    city: str | None = Field(default=None, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=200)
    country_code: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{2}$",
        description="ISO alpha-2; derived from `country` when left out",
    )

    @classmethod
    def updatable(cls) -> tuple[str, ...]:
        return ("city", "state", "country", "country_code")

    @field_validator("country_code")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else None


# --- backfills ---------------------------------------------------------------------------


class TickerItem(Inbound):
    """One company's ticker for `POST /run/companies/db/public-ticker/backfill`."""

    model_config = examples({"domain": "https://www.acme.com/", "ticker": "acme"})

    domain: Domain = Field(min_length=1, max_length=500, description="Any spelling of the domain")
    ticker: str = Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9][A-Za-z0-9.:/^=-]*$")

    @field_validator("ticker")
    @classmethod
    def _ticker(cls, value: str) -> str:
        return value.upper()
