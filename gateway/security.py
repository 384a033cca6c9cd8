"""The gateway's outer defences, as ASGI middleware in front of every route.

`Guard` authenticates each request before routing and before its body is read (so a route
cannot forget to, and a stranger's body is never parsed), and applies the per-key rate
limit shared by every gateway process through Redis. API paths take API keys only;
dashboard paths take the dashboard's sign-in session only. Which keys a route admits is
its own declaration (`deps.AdminDep`, `deps.ClientDep`, `deps.ViewerDep`), and
`check_scopes` refuses to build an app with a route that declares none. `BodyLimit`
answers 413 for a body over `max_body_bytes` before any of it is parsed, counting bytes as
they arrive. `install` puts both on an app.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import deps, errors, params
from gateway.auth import Authenticator, Principal, presented_key
from gateway.errors import ApiError
from gateway.sessions import SESSION_COOKIE, Sessions
from workers import autopipe

log = logging.getLogger("hq.gateway")

#: Paths anyone may call: liveness and readiness probes.
HEALTH_PATHS = frozenset({"/healthz", "/readyz"})

#: Methods that change nothing: a dashboard page answers them without a session (sign-in form).
SAFE_METHODS = frozenset({"GET", "HEAD"})

#: Dashboard posts that need no session: signing in, and out (of an expired session).
OPEN = frozenset({deps.LOGIN_PATH, deps.LOGOUT_PATH})

#: Generic cell rate algorithm over Redis time, so every gateway process shares one clock.
#: KEYS[1] holds the key's theoretical arrival time in ms; ARGV: emission interval and burst
#: tolerance (ms). Returns 0 when the request may pass, else the ms to wait.
GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or 0), now)
if tat - now > tolerance then
  return math.ceil(tat - tolerance - now)
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', next_tat), 'PX', math.ceil(next_tat - now))
return 0
"""


class RateLimiter:
    """A per-key request budget: `per_minute` sustained, `burst` (default: as many) at once."""

    def __init__(
        self, client: Any, *, namespace: str, per_minute: int, burst: int | None = None
    ) -> None:
        self.namespace = namespace
        self.per_minute = per_minute
        self.burst = burst or per_minute
        self._script = client.register_script(GCRA_LUA) if per_minute > 0 else None

    async def wait_seconds(self, key: str) -> int:
        """0 if `key` may make a request now (and count it), else the whole seconds to wait.

        A Redis failure lets the request through: the limit protects capacity, it is not
        access control, and the request itself will meet the outage and answer 503.
        """
        if self._script is None:
            return 0
        interval = 60_000 / self.per_minute
        try:
            wait_ms = int(
                await self._script(
                    keys=[f"{self.namespace}:ratelimit:{key}"],
                    args=[f"{interval:.3f}", f"{interval * (self.burst - 1):.3f}"],
                )
            )
        except (RedisError, OSError) as err:
            log.warning("rate limit not checked (%s); letting the request through", err)
            return 0
        return math.ceil(wait_ms / 1000) if wait_ms > 0 else 0


class Guard:
    """Authentication and the per-key rate limit for every path but the public ones.

    An API path needs an API key (401 without a valid one). A dashboard path needs no key
    and takes none: its session, if valid, is left in the request state for the dashboard's
    routes; a post to one without a session (but to sign in) is a 401 before its body is read.
    """

    def __init__(self, app: ASGIApp, *, public: frozenset[str], limiter: RateLimiter) -> None:
        self.app = app
        self.public = public
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        try:
            if deps.is_dashboard_path(scope["path"]):
                state_key, principal = deps.VIEWER_STATE, await self._viewer(scope)
            else:
                state_key, principal = deps.PRINCIPAL_STATE, await self._admit(scope)
        except ApiError as err:
            await errors.api_error_response(err)(scope, receive, send)
            return
        scope.setdefault("state", {})[state_key] = principal
        await self.app(scope, receive, send)

    async def _admit(self, scope: Scope) -> Principal:
        """The caller, if it may make a request now; else raise the answer."""
        headers = Headers(scope=scope)
        key = presented_key(headers.get("authorization"), headers.get("x-api-key"))
        auth: Authenticator = scope["app"].state.services.auth
        principal = auth.verify_known(key)
        if principal is None:  # only the key table knows: read it off the event loop
            principal = await run_in_threadpool(auth.verify, key)
        await self._within_limit(principal)
        _no_nul(scope)
        return principal

    async def _viewer(self, scope: Scope) -> Principal | None:
        """The dashboard session's admin, or None; raise for a post that needs one."""
        token = cookie_parser(Headers(scope=scope).get("cookie", "")).get(SESSION_COOKIE)
        sessions: Sessions = scope["app"].state.services.sessions
        viewer = await run_in_threadpool(sessions.find, token) if token else None
        if viewer is None and scope["method"] not in SAFE_METHODS and scope["path"] not in OPEN:
            raise ApiError(401, "sign in to the dashboard first")
        if viewer is not None:
            await self._within_limit(viewer)
        _no_nul(scope)
        return viewer

    async def _within_limit(self, principal: Principal) -> None:
        wait = await self.limiter.wait_seconds(principal.rate_key)
        if wait:
            raise ApiError(
                429,
                f"rate limit of {self.limiter.per_minute} requests a minute for this key; "
                f"retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )


def _no_nul(scope: Scope) -> None:
    if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
        raise ApiError(422, "the URL contains a NUL character", field="url")


class BodyLimit:
    """413 for a request body over `max_bytes`, before the app reads any of it.

    A declared Content-Length over the limit is refused at once; otherwise the body is
    counted as it streams in (chunked uploads have no Content-Length) and handed on whole.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            declared = _declared_length(Headers(scope=scope).get("content-length"))
        except ApiError as err:
            await errors.api_error_response(err)(scope, receive, send)
            return
        body = None if declared is not None and declared > self.max_bytes else b""
        if body is not None:
            body = await self._read(receive)
        if body is None:
            await errors.api_error_response(self._too_large())(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)  # the client left; the app will see the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> ApiError:
        return ApiError(
            413, f"the request body is larger than {self.max_bytes} bytes", field="body"
        )


class HeadAsGet:
    """`HEAD` on every GET route: routed as GET, answered with the same headers and no body.

    FastAPI routes declare GET only; HTTP says a server that answers GET should answer HEAD
    the same way without the body (RFC 9110 9.3.2). A path without GET still answers 405.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _declared_length(header: str | None) -> int | None:
    """The Content-Length header's value; a 422 for one that is not a whole number."""
    return params.optional_whole(header, field="Content-Length")


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the buffered body first, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def install(app: FastAPI) -> None:
    """Put `BodyLimit` and (outside it, so strangers' bodies are never read) `Guard` on app."""
    services: deps.Services = app.state.services
    settings = services.settings
    limiter = RateLimiter(
        autopipe.for_client(services.redis),
        namespace=settings.queue_namespace,
        per_minute=settings.rate_limit_per_minute,
    )
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(Guard, public=public_paths(app), limiter=limiter)


def public_paths(app: FastAPI) -> frozenset[str]:
    """Paths anyone may call: the probes and the API's own documentation."""
    docs = (app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    return HEALTH_PATHS | {path for path in docs if path}


def check_scopes(app: FastAPI) -> None:
    """Refuse an app with a route that does not declare who may call it.

    Every route but the public ones must be a FastAPI route depending on exactly one of
    `deps.SCOPES` (its own dependency, or its router's), and a dashboard route (a
    session's) must live under the dashboard's paths while an API route (a key's) must not.
    Raises RuntimeError naming the route.
    """
    public = public_paths(app)
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if path in public:
            continue
        if not isinstance(context.original_route, APIRoute):
            raise RuntimeError(f"{path}: only FastAPI routes that declare a scope are served")
        scopes = _scopes(context)
        if len(scopes) != 1:
            raise RuntimeError(f"{path}: declare one of AdminDep, ClientDep or ViewerDep")
        if (scopes == {"dashboard"}) != deps.is_dashboard_path(path):
            raise RuntimeError(f"{path}: dashboard routes take sessions, API routes take keys")


def scope_of(context: RouteContext) -> str:
    """Which callers a route admits: "admin", "client" or "dashboard" (see `check_scopes`)."""
    return next(iter(_scopes(context)))


def _scopes(context: RouteContext) -> set[str]:
    """The scopes a route's effective dependencies (router-level ones included) declare."""
    dependant: Dependant | None = getattr(context, "dependant", None)
    if dependant is None:
        return set()
    return {deps.SCOPES[c] for c in _calls(dependant) if c in deps.SCOPES}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)
