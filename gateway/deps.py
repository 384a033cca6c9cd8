"""The gateway's shared services and the `Annotated` dependencies handlers declare.

Every request but the public probes is authenticated by `gateway.security.Guard` before it
is routed (and before its body is read); these dependencies hand the caller to the handler
and state who may call the route. Every API route declares exactly one of them, which
`security.check_scopes` verifies when the app is built (so no route is open by omission):

- `PrincipalDep` / `AdminDep`: admin keys only; a client-scoped key gets 403.
- `ClientDep`: admin keys and keys scoped to one client_domain. The handler must then call
  `principal.require_client(domain)` (writes) or `principal.client_scope(domain)` (reads)
  for the client_domain it touches.
- `ViewerDep` / `DashboardActionDep`: dashboard pages and actions, by sign-in session only
  (`gateway.sessions`); no API key is accepted there, and a session is accepted nowhere else.

The key dependencies are FastAPI security dependencies (`HTTPBearer`, `APIKeyHeader`), so
the OpenAPI document states for each operation which keys it takes.

Dependencies that do no blocking I/O are `async def`: FastAPI runs a plain `def` one in its
thread pool, a hop that costs more than such a dependency's own work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser

from gateway.auth import Authenticator, Principal, presented_key
from gateway.errors import ApiError
from gateway.sessions import SESSION_COOKIE, Sessions
from schemas.settings import Settings
from workers.transport import Enqueuer

#: Where `Guard` leaves the verified caller (an API key's) in the request scope's state.
PRINCIPAL_STATE = "hq_principal"
#: Where `Guard` leaves the dashboard session's admin (None: no valid session).
VIEWER_STATE = "hq_viewer"

#: Every path under it is the dashboard's: sessions only, never API keys.
DASHBOARD_PREFIX = "/dashboard"
#: The dashboard actions a caller without a (live) session may post to.
LOGIN_PATH = "/dashboard/login"
LOGOUT_PATH = "/dashboard/logout"

#: How the OpenAPI document names the two ways to send a key.
BEARER = HTTPBearer(
    scheme_name="bearer", description="Authorization: Bearer <key>", auto_error=False
)
API_KEY = APIKeyHeader(
    name="X-API-Key", scheme_name="apiKey", description="X-API-Key: <key>", auto_error=False
)


def is_dashboard_path(path: str) -> bool:
    """Whether `path` is one of the dashboard's pages or actions."""
    return path == DASHBOARD_PREFIX or path.startswith(DASHBOARD_PREFIX + "/")


@dataclass
class Services:
    """Everything a request may need, built once per app by `create_app`."""

    settings: Settings
    engine: Engine
    enqueuer: Enqueuer
    auth: Authenticator
    sessions: Sessions
    redis: Any


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


#: The key schemes every key route documents (FastAPI security dependencies: the OpenAPI
#: document lists them per operation; `Guard` has verified the key already).
BearerScheme = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]
ApiKeyScheme = Annotated[str | None, Security(API_KEY)]


async def caller(request: Request) -> Principal:
    """The caller `Guard` verified; verified here only for an app built without `Guard`."""
    principal = request.scope.get("state", {}).get(PRINCIPAL_STATE)
    if isinstance(principal, Principal):
        return principal
    services: Services = request.app.state.services
    headers = request.headers
    key = presented_key(headers.get("authorization"), headers.get("x-api-key"))
    known = services.auth.verify_known(key)
    if known is not None:
        return known
    verified: Principal = await run_in_threadpool(services.auth.verify, key)
    return verified


# `get_admin` and `get_client` take the key schemes themselves rather than through a shared
# caller dependency: each level of dependencies costs FastAPI tens of µs on every request.


async def get_admin(request: Request, _bearer: BearerScheme, _api_key: ApiKeyScheme) -> Principal:
    """An admin caller; 403 for a client-scoped key."""
    admin = await caller(request)
    if not admin.is_admin:
        raise ApiError(
            403,
            f"this key is scoped to client_domain {admin.client_domain}; "
            "this endpoint needs an admin key",
        )
    return admin


#: The caller of an admin-only route (the default: any route that does not say otherwise).
AdminDep = Annotated[Principal, Depends(get_admin)]
PrincipalDep = AdminDep


async def get_client(request: Request, _bearer: BearerScheme, _api_key: ApiKeyScheme) -> Principal:
    """A caller of a client-scoped route: an admin, or a key scoped to one client_domain."""
    return await caller(request)


ClientDep = Annotated[Principal, Depends(get_client)]


async def get_viewer(request: Request, services: ServicesDep) -> Principal | None:
    """The admin signed in to the dashboard, or None (no, an expired or a revoked session)."""
    state = request.scope.get("state", {})
    if VIEWER_STATE in state:
        viewer: Principal | None = state[VIEWER_STATE]
        return viewer
    token = cookie_parser(request.headers.get("cookie", "")).get(SESSION_COOKIE)
    return await run_in_threadpool(services.sessions.find, token) if token else None


ViewerDep = Annotated[Principal | None, Depends(get_viewer)]


async def get_dashboard_actor(request: Request, viewer: ViewerDep) -> Principal:
    """The signed-in admin posting a dashboard action from the dashboard itself.

    401 without a session; 403 for a post from another site (browsers send `Origin` with
    every POST; the session cookie is SameSite=Strict as well).
    """
    if viewer is None:
        raise ApiError(401, "sign in to the dashboard first")
    same_origin(request)
    return viewer


DashboardActionDep = Annotated[Principal, Depends(get_dashboard_actor)]


def same_origin(request: Request) -> None:
    """Refuse a form or script post from another site."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise ApiError(403, "cross-site post refused")


#: The dependencies that say who may call a route; `security.check_scopes` wants one each.
SCOPES: dict[Any, str] = {
    get_admin: "admin",
    get_client: "client",
    get_viewer: "dashboard",
}


def get_connection(services: ServicesDep) -> Iterator[Connection]:
    """A read connection for sync handlers (they run in FastAPI's thread pool)."""
    with services.engine.connect() as conn:
        yield conn


ConnectionDep = Annotated[Connection, Depends(get_connection)]
