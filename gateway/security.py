"""The gateway's outer defences, as ASGI middleware in front of every route.

`Guard` authenticates each request before routing (so a route cannot forget to) and
applies the per-key rate limit shared by every gateway process through Redis; with
`deps.enforce_scope` on every route it keeps client-scoped keys to the routes that declare
`deps.ClientDep`. `BodyLimit` answers 413 for a body over `max_body_bytes` before any of it
is parsed, counting bytes as they arrive. `install` puts both on an app and documents keys
and error answers in its OpenAPI schema.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import deps, errors, params
from gateway.auth import Authenticator, Principal, presented_key
from gateway.errors import ApiError
from workers import autopipe

log = logging.getLogger("hq.gateway")

#: Paths anyone may call: liveness and readiness probes.
HEALTH_PATHS = frozenset({"/healthz", "/readyz"})

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

    Key scope is checked after routing by `deps.enforce_scope`, a dependency of every
    route; as a backstop for what is not a FastAPI route (mounts, unknown paths), a success
    answer to a client-scoped key that `enforce_scope` did not approve becomes a 403.
    """

    def __init__(self, app: ASGIApp, *, public: frozenset[str], limiter: RateLimiter) -> None:
        self.app = app
        self.public = public
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in self.public or deps.is_dashboard_page(path):
            await self.app(scope, receive, send)
            return
        try:
            principal = await self._admit(scope)
        except ApiError as err:
            await errors.api_error_response(err)(scope, receive, send)
            return
        scope.setdefault("state", {})[deps.PRINCIPAL_STATE] = principal
        if not principal.is_admin:
            send = _scoped_send(scope, receive, send, principal)
        await self.app(scope, receive, send)

    async def _admit(self, scope: Scope) -> Principal:
        """The caller, if it may make a request now; else raise the answer."""
        headers = Headers(scope=scope)
        key = presented_key(headers.get("authorization"), headers.get("x-api-key"))
        key = key or deps.dashboard_key(scope)
        auth: Authenticator = scope["app"].state.services.auth
        principal = auth.verify_known(key)
        if principal is None:  # only the key table knows: read it off the event loop
            principal = await run_in_threadpool(auth.verify, key)
        wait = await self.limiter.wait_seconds(principal.rate_key)
        if wait:
            raise ApiError(
                429,
                f"rate limit of {self.limiter.per_minute} requests a minute for this key; "
                f"retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            raise ApiError(422, "the URL contains a NUL character", field="url")
        return principal


def _scoped_send(scope: Scope, receive: Receive, send: Send, principal: Principal) -> Send:
    """A send that turns an unapproved success answer for a client-scoped key into a 403."""
    replaced = False

    async def guarded(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start":
            approved = scope.get("state", {}).get(deps.SCOPE_APPROVED, False)
            replaced = message["status"] < 400 and not approved
            if replaced:
                refusal = ApiError(
                    403, f"this key is scoped to client_domain {principal.client_domain}"
                )
                await errors.api_error_response(refusal)(scope, receive, send)
        if not replaced:
            await send(message)

    return guarded


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
    public = (
        HEALTH_PATHS
        | deps.DASHBOARD_PATHS
        | {
            path
            for path in (
                app.openapi_url,
                app.docs_url,
                app.redoc_url,
                app.swagger_ui_oauth2_redirect_url,
            )
            if path
        }
    )
    limiter = RateLimiter(
        autopipe.for_client(services.redis),
        namespace=settings.queue_namespace,
        per_minute=settings.rate_limit_per_minute,
    )
    if any(isinstance(c.original_route, APIRoute) for c in iter_route_contexts(app.routes)):
        # Router dependencies only reach routes added after them.
        raise RuntimeError("install security before adding routes")
    app.router.dependencies.append(Depends(deps.enforce_scope))
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(Guard, public=frozenset(public), limiter=limiter)
    _document(app, frozenset(public))


def _document(app: FastAPI, public: frozenset[str]) -> None:
    """Make the OpenAPI schema state the keys and every error answer the Guard can give."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            errors.document(generate(), public=public)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
