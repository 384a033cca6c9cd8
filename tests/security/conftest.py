"""Fixtures for security tests: the real gateway on the test's database and Redis, and keys.

Routes are enumerated from the app itself, so endpoints other engineers add are covered
without touching these tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.routing import Mount, Route

from gateway import deps, security
from schemas.settings import Settings
from tests.conftest import ADMIN_KEY, create_key

#: Paths anyone may call (the probes and the API documentation).
PUBLIC = frozenset(
    {"/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"}
)

#: Dashboard pages and actions take a sign-in session, never a key: tested on their own in
#: test_auth.py and test_sessions.py.
DASHBOARD = frozenset({"/dashboard", deps.LOGIN_PATH, deps.LOGOUT_PATH})


#: Body sent to every POST while probing auth: well-formed JSON, valid for no route in particular.
PROBE_BODY = {"probe": True}


@dataclass(frozen=True)
class Endpoint:
    """One method on one route, with its path filled in."""

    method: str
    path: str
    template: str
    client_scoped: bool

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every method of every route and mount of the app that needs a key, prefixes applied."""
    found = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        if isinstance(route, Mount):
            found.append(Endpoint("GET", f"{path}/", path, False))
            continue
        if not isinstance(route, Route) or path is None or path in PUBLIC:
            continue
        if deps.is_dashboard_path(path):
            continue
        filled = re.sub(r"\{[^}]+\}", "1", path)
        scoped = isinstance(route, APIRoute) and security.scope_of(context) == "client"
        for method in sorted((context.methods or {"GET"}) - {"HEAD"}):
            found.append(Endpoint(method, filled, path, scoped))
    return found


def call(client: TestClient, endpoint: Endpoint, headers: dict[str, str]) -> int:
    """Send one request to an endpoint; its status code."""
    body = PROBE_BODY if endpoint.method in {"POST", "PUT", "PATCH"} else None
    response = client.request(endpoint.method, endpoint.path, json=body, headers=headers)
    return response.status_code


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The gateway app on the test's database and Redis namespace."""
    from gateway.app import create_app

    return create_app(settings)


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    """A client that sends no key unless a test adds one."""
    with TestClient(app) as client:
        yield client


KeyFactory = Callable[..., tuple[int, str]]


@pytest.fixture
def make_key(engine: Engine) -> KeyFactory:
    """Create a key as `hq-ingest keys create` does; returns (id, key)."""

    def create(*, client_domain: str | None = None, name: str = "test") -> tuple[int, str]:
        return create_key(engine, client_domain=client_domain, name=name)

    return create


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


ADMIN = bearer(ADMIN_KEY)
