"""HTTP routes: validate, authorise, enqueue or read; no business logic here."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, cast

import orjson
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import URLPath

from gateway.auth import Principal
from gateway.deps import ClientDep, ConnectionDep, PrincipalDep, Services, ServicesDep
from gateway.errors import ApiError
from gateway.queue import content_key, fingerprint, idempotency_key
from pipeline import callbacks, jobstate, jsoncodec
from pipeline.store import dashboard, leads, ops, read, reprocess
from schemas import canonical
from schemas.api import Health, JobAccepted, JobStatus, JobStatusName, Person
from schemas.callbacks import UnsafeUrl, parse_target
from workers import callbacks as hooks
from workers.names import ActorName
from workers.transport import Intake

router = APIRouter()
#: The public probes: no key, no scope (`security.HEALTH_PATHS`).
health = APIRouter(tags=["health"])

#: Error code of a reused `Idempotency-Key` with another body (as payment APIs answer it).
IDEMPOTENCY_REUSED = "idempotency_key_reused"

#: How long an accepted job is known as `queued` before a worker has created its row.
QUEUED_TTL_S = 7 * 24 * 3600

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Repeats with the same key within the de-duplication window get the same job",
    ),
]
Force = Annotated[
    bool, Query(description="Run again even if an identical request was accepted recently")
]
#: `?client_domain=` of a client's read (`/api/leads`, `/api/signals`).
ClientDomainQuery = Annotated[
    str | None,
    Query(description="Any spelling; a scoped key may leave it out to read its own client"),
]


async def accept(
    request: Request,
    services: Services,
    *,
    actor: ActorName,
    kind: str,
    body: dict[str, Any],
    scope: str,
    idempotency: str | None,
    force: bool,
    client_domain: str | None = None,
) -> JobAccepted:
    """Enqueue the first stage of a job and answer 202; repeats map to the original job.

    `client_domain`: the client a scoped key's job belongs to, so that key may poll it.

    One atomic Redis round trip (`Enqueuer.accept`) checks the de-duplication key, records
    the job as queued, keeps its callback beside it (so the token is in no message or log)
    and enqueues the message. On a 503 no de-duplication key is left, so a retry is accepted.
    """
    job_id = str(uuid.uuid4())
    body, callback = hooks.take_spec(body)
    if callback:
        callback["url"] = _callback_target(callback["url"], services.settings.callback_hosts)
    enqueuer = services.enqueuer
    intake = Intake(
        dedup=None if force else await _dedup_key(request, scope, idempotency),
        fingerprint=fingerprint(await request.body()) if idempotency and not force else "",
        window_s=services.settings.dedup_window_s,
        marker={"kind": kind, **({"client_domain": client_domain} if client_domain else {})},
        marker_ttl_s=QUEUED_TTL_S,
        extra=(
            (hooks.spec_key(enqueuer.namespace, job_id), orjson.dumps(callback), hooks.SPEC_TTL_S)
            if callback
            else None
        ),
    )
    try:
        previous = await enqueuer.accept(actor, intake, job_id=job_id, body=body)
    except Exception:
        raise ApiError(503, "the queue is unavailable; nothing was accepted, retry") from None
    if previous is None:
        return _accepted(request, job_id, duplicate=False)
    if previous.other_body:
        raise ApiError(
            422,
            f"this Idempotency-Key was used for another body; it maps to job {previous.job_id}",
            field="Idempotency-Key",
            code=IDEMPOTENCY_REUSED,
        )
    status = await _current_status(services, previous.job_id)
    return _accepted(request, previous.job_id, duplicate=True, status=status)


async def _current_status(services: Services, job_id: str) -> JobStatusName:
    """The status of an earlier job a repeat maps to: its row's, else queued."""
    try:
        status = await _run_sync(services, dashboard.job_state, job_id=job_id)
    except SQLAlchemyError:  # the repeat is answered all the same; the poll tells the rest
        status = None
    return cast(JobStatusName, status) if status else "queued"


def _callback_target(url: str, hosts: str) -> str:
    """The callback URL as it will be sent (read once, strictly), if its host is allowed."""
    try:
        target = parse_target(url)
    except UnsafeUrl as err:
        raise ApiError(422, f"callback_url: {err}", field="callback_url") from None
    if not callbacks.allowed(target, hosts):
        raise ApiError(422, f"callback_url: host not allowed ({hosts})", field="callback_url")
    return target.url


async def exact_json(request: Request) -> Any:
    """The request's JSON body with every number exactly as sent (see `pipeline.jsoncodec`).

    FastAPI's parse (cached on the request) reads numbers as doubles; only a body that may
    hold a number a double cannot is parsed again, exactly.
    """
    raw = await request.body()
    inexact = getattr(request, "inexact", None)  # a `JsonBodyRequest` has checked already
    if jsoncodec.may_be_inexact(raw) if inexact is None else inexact:
        return jsoncodec.loads_exactly(raw)
    return await request.json()


class JsonBodyRequest(Request):
    """A request whose JSON body orjson reads wherever that gives what `json.loads` gives.

    FastAPI parses a body with `request.json()`, the standard library's `json.loads`, in
    about twice orjson's time on a webhook's 8–30 KB. The value, and the error for a body
    that is not JSON, stay the standard library's (`jsoncodec.loads_standard`), and the
    exact-number check that decides between them is kept for `exact_json`.
    """

    #: Whether the body may hold a number a double cannot (None: not parsed yet).
    inexact: bool | None = None

    def __init__(self, request: Request) -> None:
        super().__init__(request.scope, request.receive, request._send)
        self._origin = request

    async def body(self) -> bytes:
        """The body, read (once) through the request FastAPI made, which its exception
        handlers are given: they may read it too."""
        return await self._origin.body()

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            raw = await self.body()
            self.inexact = jsoncodec.may_be_inexact(raw)
            self._json = jsoncodec.loads_standard(raw, inexact=self.inexact)
        return self._json


class JsonBodyRoute(APIRoute):
    """A route whose handler and dependencies get a `JsonBodyRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            return await handler(JsonBodyRequest(request))

        return handle


async def _dedup_key(request: Request, scope: str, idempotency: str | None) -> str:
    """The client's `Idempotency-Key` if sent, else a hash of the exact request."""
    route = request.url.path
    if idempotency:
        return idempotency_key(route, idempotency, scope=scope)
    return content_key(route, await request.body(), scope=scope)


def _accepted(
    request: Request, job_id: str, *, duplicate: bool, status: JobStatusName = "queued"
) -> JobAccepted:
    return JobAccepted(
        job_id=job_id,
        status=status,
        status_url=job_url(request, job_id),
        duplicate=duplicate,
    )


#: Stands in for the job id while `job_url` looks the status path up (a valid job id).
_JOB_ID_SLOT = "00000000-0000-0000-0000-000000000000"


def job_url(request: Request, job_id: str) -> str:
    """`str(request.url_for("get_job", job_id=job_id))`, the route looked up once per router.

    `url_for` asks every route in turn until one has the name (raising and catching an
    exception for each of the sixty-odd it passes) and builds the URL through `urlunsplit`,
    on every 202; the answer only differs by the job id, a UUID, which needs no quoting.
    """
    router = request.scope.get("router") or request.app
    # The app's status path (with `_JOB_ID_SLOT`) per router of it that serves a 202.
    paths: dict[int, URLPath] | None = getattr(request.app.state, "job_paths", None)
    if paths is None:
        paths = request.app.state.job_paths = {}
    template = paths.get(id(router))
    if template is None:
        template = paths[id(router)] = router.url_path_for("get_job", job_id=_JOB_ID_SLOT)
    # As `URLPath.make_absolute_url` writes it, for an HTTP route on the request's host.
    base = request.base_url
    scheme = "https" if base.is_secure else "http"
    netloc = template.host or base.netloc
    return f"{scheme}://{netloc}{base.path.rstrip('/')}{template.replace(_JOB_ID_SLOT, job_id)}"


@router.get("/jobs/{job_id}", response_model=JobStatus, tags=["jobs"], name="get_job")
async def get_job(job_id: str, services: ServicesDep, principal: ClientDep) -> JobStatus:
    """A job's status, its stages and its whole history.

    A key scoped to a client_domain sees only that client's lead jobs (any other job is a
    404 to it, as if it did not exist); an admin key sees every job.
    """
    job_key = _uuid(job_id)
    stored = await _run_sync(services, ops.load_job, job_id=job_key)
    if stored is not None and stored["kind"] == reprocess.JOB_KIND:
        total = (stored["result"] or {}).get("total")
        stored["counts"] = await _run_sync(
            services, reprocess.progress, job_id=job_key, total=total
        )
    job = jobstate.with_running(job_key, stored, await services.enqueuer.running(job_key))
    queued = (
        None if job is not None and principal.is_admin else await services.enqueuer.queued(job_key)
    )
    if not principal.is_admin and not await _owns(services, principal, job_key, queued):
        raise ApiError(404, f"no job {job_id}", field="job_id")
    if job is not None:
        return job_status(job)
    if queued is None:
        raise ApiError(404, f"no job {job_id}", field="job_id")
    return JobStatus(job_id=job_key, kind=queued.get("kind"), status="queued")


async def _owns(
    services: Services, principal: Principal, job_id: str, queued: dict[str, Any] | None
) -> bool:
    """Whether a client-scoped key's client is the one this job was accepted for."""
    if queued is not None and queued.get("client_domain") == principal.client_domain:
        return True
    stored = await _run_sync(services, leads.lead_job_client_domain, job_id=job_id)
    return stored is not None and stored == principal.client_domain


def job_status(job: dict[str, Any]) -> JobStatus:
    """Shape a stored job for the API."""
    return JobStatus(
        **{k: v for k, v in job.items() if k not in {"events", "stages", "job_id"}},
        job_id=str(job["job_id"]),
        stages=job["stages"],
        history=job["events"],
        callback=callbacks.summary(job["events"]),
    )


async def _run_sync(services: Services, fn: Any, **kwargs: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    def call() -> Any:
        with services.engine.connect() as conn:
            return fn(conn, **kwargs)

    return await run_in_threadpool(call)


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ApiError(404, f"no job {value}", field="job_id") from None


@router.get("/api/people", response_model=Person, tags=["read"])
def get_person(
    conn: ConnectionDep,
    _principal: PrincipalDep,
    linkedin_url: Annotated[str, Query(description="Any spelling of the profile URL")],
) -> dict[str, Any]:
    """The assembled person for any variant of their LinkedIn URL."""
    url = canonical.linkedin_url(linkedin_url)
    if url is None:
        raise ApiError(422, "is not a LinkedIn profile URL", field="linkedin_url")
    person = read.person_view(conn, linkedin_url=url)
    if person is None:
        raise ApiError(404, f"no person {url}", field="linkedin_url")
    return person


@health.get("/healthz", response_model=Health, tags=["health"])
async def healthz() -> Health:
    """The process is up (no dependency checked)."""
    return Health(status="ok")


@health.get("/readyz", response_model=Health, tags=["health"])
async def readyz(services: ServicesDep) -> Any:
    """PostgreSQL and Redis are reachable; 503 otherwise."""
    checks = {"database": "ok", "redis": "ok"}
    try:
        await _run_sync(services, lambda conn: conn.execute(text("SELECT 1")))
    except Exception:
        checks["database"] = "unreachable"
    try:
        await services.redis.ping()
    except Exception:
        checks["redis"] = "unreachable"
    ok = all(v == "ok" for v in checks.values())
    if not ok:
        from gateway.errors import JsonResponse

        return JsonResponse({"status": "unavailable", "checks": checks}, status_code=503)
    return Health(status="ok", checks=checks)
