"""The gateway's shared services and the `Annotated` dependencies handlers declare."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlalchemy import Connection, Engine

from gateway.auth import Authenticator, Principal, presented_key
from gateway.queue import Enqueuer
from schemas.settings import Settings


@dataclass
class Services:
    """Everything a request may need, built once per app by `create_app`."""

    settings: Settings
    engine: Engine
    enqueuer: Enqueuer
    auth: Authenticator
    redis: Any


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_principal(
    services: ServicesDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """The authenticated caller; 401 without a valid key."""
    return services.auth.verify(presented_key(authorization, x_api_key))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_admin(principal: PrincipalDep) -> Principal:
    """An admin caller; 403 for a scoped key."""
    principal.require_admin()
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]


def get_connection(services: ServicesDep) -> Iterator[Connection]:
    """A read connection for sync handlers (they run in FastAPI's thread pool)."""
    with services.engine.connect() as conn:
        yield conn


ConnectionDep = Annotated[Connection, Depends(get_connection)]
