"""`POST /run/reprocess`: which stored raw payloads to run extract + sync over again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from schemas.api import JobAccepted

#: The fields that narrow a reprocess (at least one, or `all`).
SELECTION = ("workflow_slug", "since", "until", "linkedin_url")


class ReprocessRequest(BaseModel):
    """Payloads by workflow slug, receipt time (`since` ≤ received_at < `until`), person, or
    every stored payload (`all: true`, required when nothing else narrows it)."""

    workflow_slug: str | None = Field(default=None, min_length=1, max_length=200)
    since: datetime | None = None
    until: datetime | None = None
    linkedin_url: str | None = Field(
        default=None, max_length=2048, description="Any spelling of the person's profile URL"
    )
    all: bool = Field(default=False, description="Required to reprocess with no filter at all")
    dry_run: bool = Field(default=False, description="Only count what would be reprocessed")

    @model_validator(mode="after")
    def _narrowed(self) -> ReprocessRequest:
        if not self.all and all(getattr(self, f) is None for f in SELECTION):
            raise ValueError(
                "give workflow_slug, since, until or linkedin_url (or all: true to reprocess "
                "every stored payload)"
            )
        return self

    def selection(self) -> dict[str, Any]:
        """The narrowing fields alone, JSON-ready (times as ISO strings)."""
        return self.model_dump(mode="json", include=set(SELECTION), exclude_none=True)


class ReprocessAccepted(JobAccepted):
    """202 body of a reprocess: the job, and how many payloads it matched when accepted."""

    matched: int


class ReprocessPreview(BaseModel):
    """200 body of a dry run."""

    dry_run: bool = True
    matched: int
