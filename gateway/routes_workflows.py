"""Routes generated from the workflow definitions: one `POST` per old path, same chain.

Every route validates its body with the definition's model (Clay linting included), checks
the slug against `reference.enrichment_workflow_registry` (registered, active, onto this
route's definition, else 422 naming the registered ones), authorises a client-scoped key
for the body's `client_domain`, then enqueues `workers.workflows.store_workflow` and
answers 202 with the job. A repeat of the same body for the same natural key within the
de-duplication window gets the same job.

(No `from __future__ import annotations` here: the generated handlers' annotations must be
real objects for FastAPI to read the body model from them.)
"""

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from gateway.auth import Principal
from gateway.deps import ClientDep, PrincipalDep, Services, ServicesDep
from gateway.errors import ApiError, error_answer
from gateway.routes import Force, IdempotencyKey, JsonBodyRoute, accept, exact_json
from gateway.routes_leads import readable_lead
from pipeline import jsoncodec
from pipeline.store import workflows as store
from pipeline.workflows import Definition, Route, registry
from schemas import canonical
from schemas.api import JobAccepted
from schemas.leads_api import LeadIngest
from schemas.webhooks import Inbound
from workers import names

#: Its routes read bodies with orjson (`JsonBodyRoute`): they are nearly all the traffic.
router = APIRouter(tags=["workflows"], route_class=JsonBodyRoute)

#: The first stage of each chain a definition may name (`Definition.chain`).
_FIRST_STAGES: dict[str, names.ActorName] = {
    actor.actor_name: actor for actor in (names.STORE_RAW, names.STORE_LEAD)
}

_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: error_answer("The body is not valid, or its workflow_slug is not an active one"),
}


async def _registered(services: Services, definition: Definition[Any], slug: str) -> str | None:
    """The definition a slug's bodies are extracted with (None: kept raw); 422 when the
    slug is not an active slug of this route's definition."""

    def check() -> tuple[Any, list[str]]:
        with services.engine.begin() as conn:
            row = store.slug_entry(conn, workflow_slug=slug)
            if row is None and slug in definition.slugs:
                row = store.ensure_slug(conn, row=registry.default_row(slug, definition))
            ok = (
                row is not None
                and row["is_active"]
                and row["definition"]
                in (
                    None,
                    definition.name,
                )
            )
            return (row if ok else None), (
                [] if ok else store.active_slugs(conn, definition=definition.name)
            )

    row, known = await run_in_threadpool(check)
    if row is None:
        names = ", ".join(sorted({*known, *definition.slugs})) or "none"
        raise ApiError(
            422,
            f"{slug!r} is not an active workflow for this route; registered: {names}",
            field="workflow_slug",
        )
    found: str | None = row["definition"]
    return found


def _dedup(definition: Definition[Any], payload: Inbound, received: Any) -> str:
    """The natural key and a hash of the body, as the de-duplication key of a request."""
    key = definition.natural_key(payload) or ""
    digest = hashlib.sha256(_canonical_json(received)).hexdigest()
    return f"{definition.name}:{key}:{digest}"


def _canonical_json(value: Any) -> bytes:
    """`value` as JSON with sorted keys; integers beyond 64 bits and `Decimal`s (numbers a
    double cannot hold, a `-0`) too."""
    return jsoncodec.dumps_sorted(value)


def _endpoint(definition: Definition[Any], route: Route) -> Any:
    model = definition.request
    # Only a definition whose body names a client lets client-scoped keys in (`ClientDep`).
    guard = ClientDep if definition.client_scoped else PrincipalDep

    async def ingest(
        request: Request,
        payload: model,  # type: ignore[valid-type]
        services: ServicesDep,
        principal: guard,  # type: ignore[valid-type]
        idempotency: IdempotencyKey = None,
        force: Force = False,
    ) -> JobAccepted:
        caller: Principal = principal
        client_domain = definition.client(payload) if definition.client_scoped else None
        if definition.client_scoped:
            caller.require_client(client_domain)
            client_domain = canonical.domain(client_domain) or client_domain
        # The body as sent, numbers exact (FastAPI's parse, cached, unless a number needs more).
        received = await exact_json(request)
        if isinstance(payload, LeadIngest) and isinstance(received, dict):
            readable_lead(received)  # what the lead chain could only drop is a 422 now
        chain = definition.chain
        if chain is not None:  # a chain of its own: its message, its first stage
            actor, kind, body = (
                _FIRST_STAGES[chain.first_stage],
                chain.kind,
                chain.message(payload, received),
            )
        else:
            slug = getattr(payload, "workflow_slug", None) or route.slug
            extractor = (
                definition.name
                if definition.open_slugs
                else await _registered(services, definition, slug)
            )
            actor, kind = names.STORE_WORKFLOW, "workflow"
            body = {
                "workflow_slug": slug,
                "definition": extractor,
                "natural_key": definition.natural_key(payload),
                "received": received,
            }
            idempotency = idempotency or _dedup(definition, payload, received)
        return await accept(
            request,
            services,
            actor=actor,
            kind=kind,
            body=body,
            scope=str(caller.key_id),
            idempotency=idempotency,
            force=force,
            client_domain=client_domain,
        )

    ingest.__name__ = ingest.__qualname__ = "ingest_" + route.path.strip("/").replace(
        "/", "_"
    ).replace("-", "_")
    ingest.__doc__ = (
        f"{route.summary or definition.description}\n\n"
        f"Workflow definition `{definition.name}` ({definition.entity}); default slug "
        f"`{route.slug}`; feeds: {', '.join(definition.feeds)}."
    )
    return ingest


for _definition in registry.DEFINITIONS:
    for _route in _definition.routes:
        router.add_api_route(
            _route.path,
            _endpoint(_definition, _route),
            methods=["POST"],
            status_code=202,
            response_model=JobAccepted,
            responses=_RESPONSES,
            summary=_route.summary or None,
        )
