"""The gateway's shared services and the `Annotated` dependencies handlers declare.

Every request but the public probes is authenticated by `gateway.security.Guard` before it
is routed; these dependencies hand the caller to the handler. Which callers a route admits:

- `PrincipalDep`: the verified caller. `Guard` refuses a client-scoped key (403) on every
  route that does not declare `ClientDep`, so a new route is admin-only unless it opts in.
- `AdminDep`: the same, checked once more here (for routes that must never open up).
- `ClientDep`: admin keys and keys scoped to one client_domain. Declaring it opts the route
  in; the handler must then call `principal.require_client(domain)` (writes) or
  `principal.client_scope(domain)` (reads) for the client_domain it touches.

Dependencies that do no blocking I/O are `async def`: FastAPI runs a plain `def` one in its
thread pool, a hop that costs more than such a dependency's own work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.routing import BaseRoute
from starlette.types import Scope

from gateway.auth import Authenticator, Principal, presented_key
from gateway.errors import ApiError
from schemas.settings import Settings
from workers.transport import Enqueuer

#: Where `Guard` leaves the verified caller in the request scope's state.
PRINCIPAL_STATE = "hq_principal"
#: Set in the request state once `enforce_scope` let a client-scoped key through.
SCOPE_APPROVED = "hq_scope_approved"

#: The dashboard's login cookie (HttpOnly, SameSite=Strict); it holds an admin key.
DASHBOARD_COOKIE = "hq_dashboard"
#: Header the dashboard's script sends; only such requests may authenticate by the cookie.
DASHBOARD_HEADER = "x-hq-dashboard"
#: Dashboard pages: public to `Guard`, they check the cookie themselves (else: a login form).
DASHBOARD_PATHS = frozenset({"/dashboard", "/dashboard/login", "/dashboard/logout"})


def is_dashboard_page(path: str) -> bool:
    """`/dashboard` and the console's pages under it (each checks the cookie itself)."""
    return path in DASHBOARD_PATHS or path.startswith("/dashboard/")


def dashboard_key(scope: Scope) -> str | None:
    """The key in the dashboard cookie, for the dashboard's own requests only."""
    headers = Headers(scope=scope)
    if not is_dashboard_page(scope["path"]) and not headers.get(DASHBOARD_HEADER):
        return None
    return cookie_parser(headers.get("cookie", "")).get(DASHBOARD_COOKIE) or None


@dataclass
class Services:
    """Everything a request may need, built once per app by `create_app`."""

    settings: Settings
    engine: Engine
    enqueuer: Enqueuer
    auth: Authenticator
    redis: Any


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_principal(request: Request, services: ServicesDep) -> Principal:
    """The caller `Guard` verified; verified here only for an app built without it."""
    principal = request.scope.get("state", {}).get(PRINCIPAL_STATE)
    if isinstance(principal, Principal):
        return principal
    headers = request.headers
    key = presented_key(headers.get("authorization"), headers.get("x-api-key"))
    key = key or dashboard_key(request.scope)
    known = services.auth.verify_known(key)
    if known is not None:
        return known
    verified: Principal = await run_in_threadpool(services.auth.verify, key)
    return verified


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_admin(principal: PrincipalDep) -> Principal:
    """An admin caller; 403 for a client-scoped key."""
    principal.require_admin()
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]


async def get_client(principal: PrincipalDep) -> Principal:
    """A caller of a client-scoped route: an admin, or a key scoped to one client_domain."""
    return principal


ClientDep = Annotated[Principal, Depends(get_client)]


def is_client_route(route: BaseRoute) -> bool:
    """Whether `route` declares `ClientDep`, and so lets client-scoped keys in."""
    return isinstance(route, APIRoute) and _depends_on(route.dependant, get_client)


async def enforce_scope(request: Request) -> None:
    """Refuse a client-scoped key on a route that does not declare `ClientDep` (403).

    `gateway.security.install` makes this a dependency of every route; it runs after
    routing, so it sees the route, and before any handler or body validation.
    """
    state = request.scope.setdefault("state", {})
    principal = state.get(PRINCIPAL_STATE)
    if not isinstance(principal, Principal) or principal.is_admin:
        return
    route = request.scope.get("route")
    if route is None or not is_client_route(route):
        raise ApiError(
            403,
            f"this key is scoped to client_domain {principal.client_domain}; "
            "this endpoint needs an admin key",
        )
    state[SCOPE_APPROVED] = True


def _depends_on(dependant: Dependant, call: Any) -> bool:
    return any(dep.call is call or _depends_on(dep, call) for dep in dependant.dependencies)


def get_connection(services: ServicesDep) -> Iterator[Connection]:
    """A read connection for sync handlers (they run in FastAPI's thread pool)."""
    with services.engine.connect() as conn:
        yield conn


ConnectionDep = Annotated[Connection, Depends(get_connection)]
