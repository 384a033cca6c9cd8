"""Bodies of the operator API: dead letters, their filters and replays."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator, model_validator

from schemas import canonical
from schemas.canonical import IsoDateTime

#: Most dead letters one bulk replay handles; the answer says when more matched.
MAX_REPLAY_BATCH = 10_000

#: Largest id PostgreSQL's bigint holds; a larger one is a 422, not a database error.
BIGINT_MAX = 2**63 - 1

LetterIdValue = Annotated[int, Field(ge=1, le=BIGINT_MAX)]

#: A dead-letter group id (`pipeline.errorgroups.group_id`).
GROUP_PATTERN = r"^[0-9a-f]{16}$"


class SubjectFilter(BaseModel):
    """Who or what a job was about: narrows jobs and dead letters to a client, person or company.

    Each value is normalised as the API normalises it on the way in (any spelling of a domain
    or LinkedIn profile URL finds the same jobs).
    """

    client_domain: str | None = Field(
        default=None, max_length=500, description="A client's jobs (leads it sent)"
    )
    linkedin_url: str | None = Field(
        default=None, max_length=1000, description="Jobs about this person (any URL spelling)"
    )
    company_domain: str | None = Field(
        default=None,
        max_length=500,
        description="Jobs about this company: its leads, payloads, people who work(ed) there",
    )

    @field_validator("client_domain", "company_domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        spelled = canonical.domain(value)
        if spelled is None:
            raise ValueError("is not a domain or URL")
        return spelled

    @field_validator("linkedin_url")
    @classmethod
    def _linkedin(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = canonical.linkedin_url(value)
        if url is None:
            raise ValueError("is not a LinkedIn profile URL (expected linkedin.com/in/<slug>)")
        return url


def as_utc(value: datetime | None) -> datetime | None:
    """A time without a zone (an HTML `datetime-local` field) is read as UTC."""
    return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


JobStatus = Literal["queued", "running", "succeeded", "failed", "dead"]


class JobFilter(SubjectFilter):
    """The dashboard's job search; every given field must match."""

    workflow: str | None = Field(default=None, max_length=200, description="Slug, else kind")
    status: JobStatus | None = None
    stage: str | None = Field(default=None, max_length=200)
    since: IsoDateTime | None = Field(default=None, description="Last changed at or after")
    until: IsoDateTime | None = Field(default=None, description="Last changed before")

    _utc = field_validator("since", "until")(lambda v: as_utc(v))


class DeadLetterFilter(SubjectFilter):
    """Which dead letters to list or replay; every given field must match."""

    stage: str | None = Field(default=None, description="Stage (actor) that failed")
    workflow_slug: str | None = None
    error: str | None = Field(default=None, description="Text the error contains (any case)")
    reason: str | None = Field(
        default=None,
        description="permanent_error, retries_exhausted, retry_schedule_failed or age_limit",
    )
    job_id: UUID | None = None
    since: IsoDateTime | None = Field(default=None, description="Died at or after")
    until: IsoDateTime | None = Field(default=None, description="Died before")
    replayed: bool | None = Field(
        default=None, description="true: only replayed letters, false: only never replayed"
    )
    ids: list[LetterIdValue] | None = Field(default=None, max_length=MAX_REPLAY_BATCH)
    group: str | None = Field(
        default=None,
        pattern=GROUP_PATTERN,
        description="A cause's group id, from `GET /dead-letters/groups`",
    )

    @field_validator("stage", "workflow_slug", "error", "reason", "ids", "group", mode="before")
    @classmethod
    def _blank_is_no_filter(cls, value: Any) -> Any:
        """An empty or blank text (`""`, `"  "`) or list (`[]`) narrows nothing: no filter.

        Dates, ids and flags keep their formats: `since=` is a 422, as documented.
        """
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, list) and not value:
            return None
        return value

    _utc = field_validator("since", "until")(lambda v: as_utc(v))

    def is_empty(self) -> bool:
        """True when no field narrows the selection."""
        return not any(v is not None for v in self.model_dump().values())


class DeadLetterSummary(BaseModel):
    """One item of `GET /dead-letters`."""

    id: int
    job_id: str
    stage: str
    error: str
    attempts: int
    dead_at: datetime
    replayed_at: datetime | None = None
    reason: str
    workflow_slug: str | None = None
    replay_count: int = 0


class DeadLetterPage(BaseModel):
    """`GET /dead-letters`: newest first; pass `next_cursor` back as `cursor` for more."""

    items: list[DeadLetterSummary]
    next_cursor: str | None = None
    limit: int
    total: int = Field(description="Letters matching the filters, on every page")


class DeadLetter(DeadLetterSummary):
    """`GET /dead-letters/{id}`: everything kept about a message that will not be retried."""

    actor_name: str
    queue_name: str
    message_id: str
    message: dict[str, Any]
    traceback: str | None = None


class ReplayRequest(DeadLetterFilter):
    """`POST /dead-letters/replay`: the letters to replay, or with `dry_run` to count."""

    dry_run: bool = False
    limit: int = Field(default=1000, ge=1, le=MAX_REPLAY_BATCH, description="Most to replay")
    all: bool = Field(default=False, description="Required to replay with no filter at all")

    @model_validator(mode="after")
    def _narrowed(self) -> ReplayRequest:
        if not self.all and DeadLetterFilter.model_validate(self.selection()).is_empty():
            raise ValueError("give at least one filter (or all: true to replay every letter)")
        return self

    def selection(self) -> dict[str, Any]:
        """The filter fields alone."""
        return self.model_dump(include=set(DeadLetterFilter.model_fields))


ReplayStatus = Literal["replayed", "would_replay", "skipped", "failed"]


class ReplayOutcome(BaseModel):
    """What happened (or, in a dry run, would happen) to one dead letter."""

    id: int
    job_id: str | None = Field(default=None, description="Unknown only when the replay failed")
    stage: str | None = None
    status: ReplayStatus
    reason: str | None = Field(default=None, description="Why it was skipped or failed")
    message_id: str | None = Field(default=None, description="The new message, when sent")


class BulkReplayResult(BaseModel):
    """`POST /dead-letters/replay`."""

    dry_run: bool
    matched: int = Field(description="Letters matching the filters")
    count: int = Field(description="Letters replayed (or that would be, in a dry run)")
    ids: list[int] = Field(description="Their ids")
    skipped: list[ReplayOutcome] = []
    failed: list[ReplayOutcome] = []
    has_more: bool = Field(description="More letters matched than `limit`; run again for them")


class DeadLetterGroup(BaseModel):
    """One cause: letters of one workflow and stage whose errors normalise alike."""

    group: str = Field(description="The group's id; `filter.group` selects its letters")
    workflow_slug: str | None = None
    stage: str
    error_class: str = Field(description="The exception's type, '' when the error names none")
    message: str = Field(description="The error message with ids, numbers and values masked")
    count: int
    first_seen: datetime
    last_seen: datetime
    sample_job_id: str = Field(description="The job of the group's newest letter")
    sample_error: str = Field(description="That letter's error as written")
    filter: dict[str, Any] = Field(
        description="Post it to `POST /dead-letters/replay` to replay exactly this group"
    )


class DeadLetterGroups(BaseModel):
    """`GET /dead-letters/groups`: the causes of the matching letters, largest first."""

    items: list[DeadLetterGroup]
    total: int = Field(description="Letters matching the filters, in every group")
