"""`/dashboard`: what is flowing, what failed and why, for an operator with an admin key.

Server-rendered (Jinja2, autoescaped) with one small script for the replay buttons. Signing
in posts an admin key once and opens a session (`gateway.sessions`): the cookie holds an
opaque token, valid for the dashboard's pages and actions only (never for the API) until it
expires, its user signs out or its key is revoked. A replay button POSTs to the dashboard's
own action `/dashboard/dead-letters/{id}/replay`, which does what the API's
`POST /dead-letters/{id}/replay` does.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import parse_qs

import jinja2
import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway import metrics, routes_ops
from gateway.auth import Principal
from gateway.deps import (
    DASHBOARD_PREFIX,
    DashboardActionDep,
    Services,
    ServicesDep,
    ViewerDep,
    same_origin,
)
from gateway.errors import ApiError
from gateway.routes_ops import LetterId
from gateway.sessions import SESSION_COOKIE, SESSION_MAX_AGE_S
from pipeline import callbacks
from pipeline.store import dashboard, deadletters, ops
from schemas.ops_api import BulkReplayResult, DeadLetterFilter, ReplayOutcome, ReplayRequest

router = APIRouter(prefix="/dashboard", include_in_schema=False)

#: Window of the job counts and the hourly chart.
WINDOW = timedelta(hours=24)

#: Window of the stage latencies.
LATENCY_WINDOW = timedelta(hours=1)

#: Dead letters and recent jobs shown.
LIST_LIMIT = 50

#: Horizontal space of one hour in the chart (SVG units; bars are 4/5 of it).
BAR_STEP = 40

#: Chart colours per status, in stacking order.
STATUS_COLOURS = {
    "succeeded": "#2f9e44",
    "running": "#1c7ed6",
    "queued": "#868e96",
    "failed": "#f08c00",
    "dead": "#e03131",
}


@lru_cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gateway", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["ago"] = _ago
    env.filters["seconds"] = lambda v: "–" if v is None else f"{v * 1000:.0f} ms"
    return env


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from `gateway/templates`."""
    html = _templates().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def _ago(value: datetime | None) -> str:
    if value is None:
        return "–"
    seconds = int((datetime.now(UTC) - value).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{max(seconds, 0)} s ago"


@router.get("", response_class=HTMLResponse)
async def show(
    services: ServicesDep,
    viewer: ViewerDep,
    job: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The dashboard, one job's history with `?job=<id>`, or the sign-in form."""
    if viewer is None:
        return render("login.html", status_code=401, error=None)
    page = await run_in_threadpool(_read, services, job.strip() if job else None)
    try:
        page["queues"] = await metrics.queue_depths(services)
    except Exception:
        page["queues"] = None
    return render("dashboard.html", **page)


@router.post("/login")
async def login(request: Request, services: ServicesDep, _viewer: ViewerDep) -> Response:
    """Check the posted admin key and open a session; the cookie holds its token only."""
    same_origin(request)
    form = parse_qs((await request.body()).decode(errors="replace"))
    key = (form.get("key") or [""])[0].strip()
    try:
        principal: Principal = await run_in_threadpool(services.auth.verify, key)
    except ApiError as err:
        return render("login.html", status_code=err.status, error=err.message)
    if not principal.is_admin:
        return render("login.html", status_code=403, error="the dashboard needs an admin key")
    token = await run_in_threadpool(services.sessions.open, principal, key=key)
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE_S,
        path=DASHBOARD_PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request, services: ServicesDep, _viewer: ViewerDep) -> Response:
    """End the session (it is refused from now on, wherever its cookie went) and forget it."""
    same_origin(request)
    await run_in_threadpool(services.sessions.close, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/dashboard", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=DASHBOARD_PREFIX, httponly=True, samesite="strict")
    return response


@router.post("/dead-letters/replay", response_model=BulkReplayResult)
def replay_dead_letters(
    request: ReplayRequest, services: ServicesDep, viewer: DashboardActionDep
) -> BulkReplayResult:
    """Replay group: what `POST /dead-letters/replay` does, for a signed-in admin."""
    return routes_ops.replay_dead_letters(request, services, viewer)


@router.post("/dead-letters/{letter_id}/replay", response_model=ReplayOutcome)
def replay_dead_letter(
    letter_id: LetterId, services: ServicesDep, viewer: DashboardActionDep
) -> ReplayOutcome:
    """The replay button: what `POST /dead-letters/{id}/replay` does, for a signed-in admin."""
    return routes_ops.replay_dead_letter(letter_id, services, viewer)


def _read(services: Services, job_id: str | None) -> dict[str, Any]:
    """Everything the page shows from PostgreSQL, in one connection."""
    now = datetime.now(UTC)
    since = now - WINDOW
    undone = DeadLetterFilter(replayed=False)
    with services.engine.connect() as conn:
        hourly = dashboard.jobs_by_hour(conn, since=since)
        page = {
            "now": now,
            "counts": dashboard.status_counts(conn, since=since),
            "chart": hourly_chart(hourly, now=now),
            "workflows": by_workflow(hourly),
            "latencies": dashboard.stage_latencies(conn, since=now - LATENCY_WINDOW),
            "letters": deadletters.list_letters(conn, where=undone, limit=LIST_LIMIT),
            "letters_total": deadletters.count_letters(conn, where=undone),
            "recent": dashboard.recent_jobs(conn, since=since, limit=LIST_LIMIT // 2),
            "colours": STATUS_COLOURS,
            "job_query": job_id,
            "job": _job(conn, job_id) if job_id else None,
        }
    return page


def _job(conn: Any, job_id: str) -> dict[str, Any] | None:
    try:
        key = str(uuid.UUID(job_id))
    except ValueError:
        return None
    job = ops.load_job(conn, job_id=key)
    if job is None:
        return None
    job["callback"] = callbacks.summary(job["events"])
    job["result_json"] = (
        orjson.dumps(job["result"], option=orjson.OPT_INDENT_2).decode() if job["result"] else None
    )
    return job


def by_workflow(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hourly rows summed per workflow: `{"workflow", "total", <status>: n, …}`."""
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = table.setdefault(
            row["workflow"],
            {"workflow": row["workflow"], "total": 0, **dict.fromkeys(STATUS_COLOURS, 0)},
        )
        entry[row["status"]] += row["jobs"]
        entry["total"] += row["jobs"]
    return sorted(table.values(), key=lambda e: (-e["total"], e["workflow"]))


def hourly_chart(
    rows: list[dict[str, Any]], *, now: datetime, hours: int = 24, height: int = 150
) -> dict[str, Any]:
    """Stacked bars of jobs per hour and status, as SVG geometry for the template."""
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    buckets = [{s: 0 for s in STATUS_COLOURS} for _ in range(hours)]
    for row in rows:
        index = int((row["hour"] - start).total_seconds() // 3600)
        if 0 <= index < hours:
            buckets[index][row["status"]] += row["jobs"]
    peak = max([sum(b.values()) for b in buckets] + [1])
    bars = []
    for i, bucket in enumerate(buckets):
        y, segments = float(height), []
        for status, n in bucket.items():
            if n:
                h = n / peak * (height - 4)
                y -= h
                segments.append({"status": status, "n": n, "y": round(y, 1), "h": round(h, 1)})
        hour = start + timedelta(hours=i)
        bars.append(
            {
                "x": i * BAR_STEP,
                "label": f"{hour:%H}:00",
                "total": sum(bucket.values()),
                "segments": segments,
            }
        )
    return {"bars": bars, "peak": peak, "height": height, "width": hours * BAR_STEP}
