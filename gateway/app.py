"""The FastAPI application: `uvicorn gateway.app:create_app --factory`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from gateway import (
    console,
    console_records,
    dashboard,
    deps,
    errors,
    metrics,
    routes,
    routes_import,
    routes_leads,
    routes_ops,
    routes_read,
    routes_reference,
    routes_reprocess,
    routes_signals,
    routes_workflows,
    runtime,
    security,
)
from gateway.auth import Authenticator
from gateway.deps import Services
from gateway.sessions import Sessions
from pipeline import store
from schemas.settings import Settings, get_settings
from workers import broker as worker_broker
from workers.transport import Enqueuer

DESCRIPTION = """
Master-data ingest for B2B people, company and lead data sent by Clay webhooks.

Every ingest answers `202 {job_id}` once Redis holds the message; poll `GET /jobs/{job_id}`.
Send a key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.
"""


def build_services(settings: Settings) -> Services:
    """Engine, broker and Redis clients for one app; nothing connects until first use."""
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (hq-ingest serve sets it for embedded runs)")
    engine = store.make_engine(
        settings.database_url, pool_size=settings.db_pool_size, application_name="hq-gateway"
    )
    broker = worker_broker.build_broker(settings)  # sends only: no actors, not global
    client = worker_broker.async_redis_client(settings)
    # Lookup waits block a connection each: a pool of their own, so they never starve enqueues.
    waits = worker_broker.async_redis_client(settings, max_connections=settings.lookup_max_waits)
    enqueuer = Enqueuer(
        broker,
        client,
        namespace=settings.queue_namespace,
        waits=waits,
        max_waits=settings.lookup_max_waits,
    )
    admin = settings.hq_admin_api_key.get_secret_value() if settings.hq_admin_api_key else None
    return Services(
        settings=settings,
        engine=engine,
        enqueuer=enqueuer,
        auth=Authenticator(admin_key=admin, engine=engine),
        sessions=Sessions(engine=engine, admin_key=admin),
        redis=client,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the settings default to the environment's."""
    services = build_services(settings or get_settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        with runtime.tuned_gc():
            yield
        await services.redis.aclose()
        await services.enqueuer.waits.aclose()
        services.engine.dispose()

    app = FastAPI(title="hq-ingest", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.services = services
    errors.install(app)
    security.install(app)
    app.add_middleware(metrics.AcceptedCounter)
    app.include_router(routes.health)
    # Routes are matched in this order, one by one: the webhook ingest routes, nearly all
    # of the traffic, come first (no other route matches their paths: `test_app_routes`).
    for module in (
        routes_workflows,
        routes,
        routes_ops,
        routes_reference,
        routes_leads,
        routes_read,
        routes_signals,
        routes_reprocess,
        routes_import,
        metrics,
    ):
        app.include_router(module.router, responses=errors.GUARDED)
    app.include_router(dashboard.router)
    # Dashboard pages take a sign-in session (`deps.ViewerDep`: None without one), never a key.
    for dashboard_router in (console.router, console_records.router):
        app.include_router(dashboard_router, dependencies=[Depends(deps.get_viewer)])
    security.check_scopes(app)
    return app
