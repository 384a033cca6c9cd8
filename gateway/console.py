"""The operator's console under `/dashboard/`: dead letters by cause, job search, a job's body.

Pages share the dashboard's sign-in (`gateway.dashboard`): without an admin's session they
answer the login form. Every filter is a query parameter, so a view is a URL to share. The
Replay group button posts the group's `filter` to `/dashboard/dead-letters/replay`, which
runs the handler of `POST /dead-letters/replay` (the endpoint scripts use); nothing here
writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from gateway import dashboard
from gateway.deps import Services, ServicesDep, get_viewer
from gateway.routes_ops import group_filter
from pipeline import callbacks, diagnose, jobstate, jsoncodec
from pipeline.store import console, deadletters, ops
from schemas.ops_api import DeadLetterFilter, JobFilter

router = APIRouter(prefix="/dashboard", include_in_schema=False)

#: Rows a list shows.
LIST_LIMIT = 100
#: Groups the dead-letter page shows.
GROUP_LIMIT = 200
#: Characters of a pretty-printed raw body shown inline; the rest is behind the download link.
INLINE_BODY_CHARS = 20_000
#: Error classes whose job page explains the payload's shape.
SHAPE_ERRORS = ("UnknownShapeError", "InvalidPayloadError")

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], request: Request, **defaults: Any) -> tuple[Model, str | None]:
    """The query as `model` (blank fields dropped), or the defaults and what was wrong."""
    query = {k: v for k, v in request.query_params.items() if v.strip() and v != "any"}
    try:
        return model.model_validate({**defaults, **query}), None
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        return model.model_validate(defaults), problems


async def page(
    request: Request,
    services: Services,
    template: str,
    read: Callable[[Connection], dict[str, Any] | None],
    *,
    nav: str = "",
) -> Response:
    """A console page for a signed-in admin (else the login form); 404 when `read` is None."""
    if await get_viewer(request, services) is None:
        return dashboard.render("login.html", status_code=401, error=None)

    def run() -> dict[str, Any] | None:
        with services.engine.connect() as conn:
            return read(conn)

    context = await run_in_threadpool(run)
    if context is None:
        return dashboard.render(
            "console_missing.html", status_code=404, what=request.url.path, nav="", problem=None
        )
    context.setdefault("problem", None)
    return dashboard.render(template, colours=dashboard.STATUS_COLOURS, nav=nav, **context)


def query_url(path: str, values: dict[str, Any]) -> str:
    """`path?…` with the non-empty values (a shareable link to a filtered view)."""
    query = {k: str(v) for k, v in values.items() if v not in (None, "")}
    return f"{path}?{urlencode(query)}" if query else path


@router.get("/dead-letters", response_class=HTMLResponse)
async def dead_letters(request: Request, services: ServicesDep) -> Response:
    """Dead letters grouped by cause (with Replay group), and the letters of the filter."""
    everything = request.query_params.get("replayed") == "any"
    where, problem = parse(DeadLetterFilter, request, **({} if everything else {"replayed": False}))
    if redirect := canonical(request, _shown(where), problem):
        return redirect

    def read(conn: Connection) -> dict[str, Any]:
        groups = deadletters.groups(conn, where=where, limit=GROUP_LIMIT)
        for group in groups:
            group["filter_json"] = orjson.dumps(group_filter(where, group["group"])).decode()
            group["url"] = query_url(request.url.path, {**_shown(where), "group": group["group"]})
        return {
            "where": where,
            "problem": problem,
            "groups": groups,
            "letters": deadletters.list_letters(conn, where=where, limit=LIST_LIMIT),
            "total": deadletters.count_letters(conn, where=where),
        }

    return await page(request, services, "console_letters.html", read, nav="letters")


def _shown(where: DeadLetterFilter) -> dict[str, Any]:
    """The filter as query values (what the page's form holds)."""
    values = where.model_dump(mode="json", exclude_none=True, exclude={"ids"})
    replayed = values.pop("replayed", None)
    if replayed is not False:  # waiting letters are the default
        values["replayed"] = "any" if replayed is None else "true"
    return values


def canonical(request: Request, values: dict[str, Any], problem: str | None) -> Response | None:
    """A redirect to the view's normalised URL (blanks dropped, values as the API reads them),
    so the address bar holds a link worth sharing; None when already there."""
    target = query_url(request.url.path, values)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return None if problem or target == here else RedirectResponse(target, status_code=303)


@router.get("/jobs", response_class=HTMLResponse)
async def jobs(request: Request, services: ServicesDep) -> Response:
    """Jobs by workflow, status, stage, time range, client, person or company."""
    where, problem = parse(JobFilter, request)
    if redirect := canonical(request, where.model_dump(mode="json", exclude_none=True), problem):
        return redirect

    def read(conn: Connection) -> dict[str, Any]:
        return {
            "where": where,
            "problem": problem,
            "jobs": console.find_jobs(conn, where=where, limit=LIST_LIMIT),
            "total": console.count_jobs(conn, where=where),
            "letters_url": query_url(
                "/dashboard/dead-letters",
                where.model_dump(
                    mode="json",
                    exclude_none=True,
                    include={"stage", "client_domain", "linkedin_url", "company_domain"},
                )
                | ({"workflow_slug": where.workflow} if where.workflow else {}),
            ),
        }

    return await page(request, services, "console_jobs.html", read, nav="jobs")


def _job_key(job_id: str) -> str | None:
    try:
        return str(uuid.UUID(job_id))
    except ValueError:
        return None


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
async def job(request: Request, services: ServicesDep, job_id: str) -> Response:
    """One job: status, stages, history, result, the body as received and, for a shape
    error, what the shape detector saw. A stage in flight shows `running` (from the
    worker's marker in Redis, as `GET /jobs/{id}` shows it)."""
    key = _job_key(job_id)
    marker = await services.enqueuer.running(key) if key else None

    def read(conn: Connection) -> dict[str, Any] | None:
        stored = ops.load_job(conn, job_id=key) if key else None
        if stored is None:
            return None
        found = jobstate.with_running(key or "", stored, marker)
        assert found is not None
        found["callback"] = callbacks.summary(found["events"])
        raw = console.raw_payload(conn, job_id=key or "")
        return {"job": found, "result_json": _pretty(found["result"]), **_body(found, raw)}

    return await page(request, services, "console_job.html", read, nav="jobs")


def _pretty(value: Any) -> str | None:
    """Indented JSON; compact and exact when it holds a number orjson refuses (a `Decimal`)."""
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        return jsoncodec.dumps_text(value)


def _body(job: dict[str, Any], raw: dict[str, Any] | None) -> dict[str, Any]:
    """The raw body for the page: pretty, cut at `INLINE_BODY_CHARS`, and its diagnosis."""
    if raw is None:
        return {"raw": None, "body": None, "truncated": False, "diagnosis": None}
    text = raw["raw_text"] or _pretty(raw["raw_payload"]) or ""  # the text: a negative zero
    errors = " ".join(filter(None, [job["error"], *(s["error"] for s in job["stages"])]))
    shape_error = any(name in errors for name in SHAPE_ERRORS)
    return {
        "raw": raw,
        "body": text[:INLINE_BODY_CHARS],
        "body_chars": len(text),
        "truncated": len(text) > INLINE_BODY_CHARS,
        "diagnosis": diagnose.diagnose_shape(raw["raw_payload"]) if shape_error else None,
    }


@router.get("/jobs/{job_id}/raw")
async def job_raw(request: Request, services: ServicesDep, job_id: str) -> Response:
    """The body a job received, exactly as stored (JSON, as a download): the text as received
    when jsonb could not hold it exactly (a negative zero)."""
    if await get_viewer(request, services) is None:
        return dashboard.render("login.html", status_code=401, error=None)
    key = _job_key(job_id)

    def read() -> dict[str, Any] | None:
        with services.engine.connect() as conn:
            return console.raw_payload(conn, job_id=key) if key else None

    raw = await run_in_threadpool(read)
    if raw is None:
        return Response(b'{"error": "no raw payload for this job"}', status_code=404)
    exact = raw["raw_text"]
    return Response(
        exact.encode() if exact is not None else jsoncodec.dumps(raw["raw_payload"]),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="job-{key}.json"',
            "Cache-Control": "no-store",
        },
    )
