"""The baseline of the accept benchmark: the ingest route with nothing behind it.

`bare_app` serves the same path with the same body model (`PersonProfileIngest`) and the
same 202 answer (`JobAccepted`, with its `status_url`), under the same uvicorn setup and
the same process tuning (`gateway.runtime.tuned_gc`), but does not authenticate,
de-duplicate or enqueue. The gap between it and the real gateway is exactly what accepting
a webhook costs beyond parsing it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from gateway import runtime
from schemas.api import JobAccepted
from schemas.webhooks import PersonProfileIngest

#: The route both apps serve.
INGEST_PATH = "/run/people/clay-native/person-profile/ingest"


def bare_app() -> FastAPI:
    """FastAPI app that parses and validates the body and answers 202 without enqueueing."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        with runtime.tuned_gc():
            yield

    app = FastAPI(title="hq-ingest bare baseline", lifespan=lifespan)

    @app.post(INGEST_PATH, status_code=202, response_model=JobAccepted)
    async def ingest(request: Request, payload: PersonProfileIngest) -> JobAccepted:
        job_id = str(uuid.uuid4())
        return JobAccepted(job_id=job_id, status_url=str(request.url_for("get_job", job_id=job_id)))

    @app.get("/jobs/{job_id}", name="get_job")
    async def get_job(job_id: str) -> dict[str, str]:
        return {"job_id": job_id}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
