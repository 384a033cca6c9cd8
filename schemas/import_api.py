"""`POST /run/people/import`: many person-profile bodies, one batch (`hq-ingest import`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

#: Lines per request at most: one request is one batch of the reprocess's size.
MAX_LINES = 500


class ImportLine(BaseModel):
    """One line of an import: the body the person-profile route takes, and the key that
    makes sending it again harmless (its job id is derived from the caller and the key)."""

    key: str = Field(min_length=1, max_length=200, description="The line's idempotency key")
    body: dict[str, Any] = Field(description="What the person-profile ingest route takes")


class ImportRequest(BaseModel):
    """Up to `MAX_LINES` lines, stored and run as one batch."""

    items: list[ImportLine] = Field(min_length=1, max_length=MAX_LINES)


class ImportVerdict(BaseModel):
    """What became of one line, in the request's order."""

    status: Literal["accepted", "duplicate", "rejected"]
    job_id: str | None = Field(default=None, description="The line's job (not when rejected)")
    error: str | None = Field(default=None, description="Why a rejected line was refused")


class ImportAccepted(BaseModel):
    """202 body: the batch's job (None when no line was new) and every line's verdict."""

    job_id: str | None
    items: list[ImportVerdict]
