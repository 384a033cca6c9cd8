"""Write-back to Clay: the optional request fields and the `callback` entry of a job."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator


class CallbackFields(BaseModel):
    """Mixed into ingest bodies: where to POST the job's outcome when it is final."""

    callback_url: str | None = Field(
        default=None,
        max_length=2000,
        description="A Clay table's webhook URL; the job's outcome is POSTed there when final",
        examples=["https://api.clay.com/v3/sources/webhook/pull-in-data-from-a-webhook-…"],
    )
    callback_token: str | None = Field(
        default=None,
        max_length=500,
        repr=False,
        description="The webhook's auth token, sent as `x-clay-webhook-auth`; never logged",
    )

    @field_validator("callback_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("is not an http(s) URL")
        return value


class CallbackStatus(BaseModel):
    """`callback` in `GET /jobs/{id}`: the latest write-back of the job's outcome."""

    status: Literal["pending", "retrying", "delivered", "failed"]
    attempts: int = Field(description="Tries since the delivery was queued")
    last_error: str | None = None
    last_attempt_at: datetime | None = None
