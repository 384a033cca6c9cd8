"""The baseline of the accept benchmark: a plain FastAPI endpoint for the same webhook.

`bare_app` is what someone outside this project would write to take the person-profile
webhook and compare the gateway against: a stock `FastAPI()` with one `POST` route whose
body is a plain pydantic model of the same top-level fields (`linkedin_url`,
`workflow_slug`, `raw_payload` as any non-scalar JSON, the callback fields, unknown fields
kept), parsed the stock way (FastAPI's `await request.json()`, then pydantic), answering
202 with a job id. It imports nothing from this project and does no process tuning (no GC
thresholds, no frozen heap), so nothing this project does for the gateway flatters or
burdens it; it runs under the same uvicorn settings. The gap between it and the gateway is
what accepting a webhook costs beyond parsing it: authentication, the Clay lint and bounds
walk, the exact-number check, de-duplication, the enqueue and the richer answer (README,
Benchmarks: "what the rest costs").
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

#: The route both apps serve.
INGEST_PATH = "/run/people/clay-native/person-profile/ingest"


class PlainPersonProfile(BaseModel):
    """The person-profile body's top-level fields, typed as a plain endpoint would."""

    model_config = ConfigDict(extra="allow")

    linkedin_url: str | None = None
    workflow_slug: str = "clay-person-profile"
    raw_payload: dict[str, Any] | list[Any]
    callback_url: str | None = None
    callback_token: str | None = None


class PlainAccepted(BaseModel):
    """The 202 answer: a job id."""

    job_id: str
    status: str = "queued"


def bare_app() -> FastAPI:
    """A stock FastAPI app that parses and validates the body and answers 202."""
    app = FastAPI(title="plain FastAPI endpoint (accept baseline)")

    @app.post(INGEST_PATH, status_code=202)
    async def ingest(payload: PlainPersonProfile) -> PlainAccepted:
        return PlainAccepted(job_id=str(uuid.uuid4()))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
