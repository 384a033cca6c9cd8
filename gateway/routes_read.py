"""Read routes beyond people: companies, workflows, enrichment status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from gateway.deps import AdminDep, ConnectionDep, PrincipalDep, ServicesDep
from gateway.errors import ApiError, error_answer
from pipeline.store import read, reference
from pipeline.workflows import registry as workflow_registry
from schemas import canonical
from schemas.read_api import (
    Company,
    EnrichmentStatus,
    EnrichmentStatusQuery,
    Workflow,
    WorkflowList,
    WorkflowRegistration,
)

router = APIRouter(tags=["read"])


@router.get("/api/companies/{domain:path}", response_model=Company)
def get_company(
    conn: ConnectionDep,
    _principal: PrincipalDep,
    domain: Annotated[
        str, Path(description="Any spelling: acme.com, WWW.Acme.com, https://acme.com/about")
    ],
) -> dict[str, Any]:
    """The company with this domain: aliases, ticker, and how many people work or worked there."""
    key = canonical.domain(domain)
    if key is None:
        raise ApiError(422, "is not a domain or URL", field="domain")
    company = read.company_view(conn, domain=key)
    if company is None:
        raise ApiError(404, f"no company {key}", field="domain")
    return company


@router.get("/api/enrichment/workflows", response_model=WorkflowList, tags=["registry"])
def list_workflows(conn: ConnectionDep, _principal: PrincipalDep) -> dict[str, Any]:
    """Every workflow slug, registered or only seen on jobs, with its jobs counted by status,
    its definition, the paths it is sent to and whether this deployment extracts it.

    A definition's own slugs are listed before their first body, as not yet registered."""
    rows = reference.list_workflows(conn)
    seen = {row["workflow_slug"] for row in rows}
    rows += [
        {**workflow_registry.default_row(slug, definition), "registered": False}
        for definition in workflow_registry.DEFINITIONS
        for slug in definition.slugs
        if slug not in seen
    ]
    return {"workflows": [_described(row) for row in rows]}


def _described(row: dict[str, Any]) -> dict[str, Any]:
    """A registry row with what its definition says: paths, entity, whether it extracts."""
    definition = workflow_registry.get(row.get("definition")) or workflow_registry.BY_SLUG.get(
        row["workflow_slug"]
    )
    if definition is None:
        return row
    return {
        **row,
        "paths": [route.path for route in definition.routes],
        "entity": definition.entity,
        "definition": definition.name,
        "extracts": True,
        "priority": row.get("priority", definition.priority),
    }


@router.post(
    "/api/enrichment/workflows",
    response_model=Workflow,
    status_code=201,
    tags=["registry"],
    responses={
        200: {"model": Workflow, "description": "The slug existed; the fields sent were updated"},
        403: error_answer("The key is not an admin key"),
    },
)
def register_workflow(
    payload: WorkflowRegistration, services: ServicesDep, _admin: AdminDep
) -> Any:
    """Register a slug (201) or update the fields sent for a known one (200); admin only."""
    _check_definition(payload.definition)
    with services.engine.begin() as conn:
        row, created = reference.save_workflow(
            conn,
            workflow_slug=payload.workflow_slug,
            fields=payload.changes(),
            needs_review=payload.needs_review,
        )
        (workflow,) = reference.list_workflows(conn, workflow_slug=row["workflow_slug"])
        workflow = _described(workflow)
    if created:
        return workflow
    return JSONResponse(Workflow.model_validate(workflow).model_dump(mode="json"), status_code=200)


@router.post(
    "/api/people/workflow-enrichment-status",
    response_model=EnrichmentStatus,
    tags=["registry"],
)
def workflow_enrichment_status(
    payload: EnrichmentStatusQuery, conn: ConnectionDep, _principal: PrincipalDep
) -> dict[str, Any]:
    """Whether a workflow has enriched this person: succeeded jobs, and the latest payload."""
    status = read.enrichment_status(
        conn, linkedin_url=payload.person_linkedin_url, workflow_slug=payload.workflow_slug
    )
    return {
        **status,
        "person_linkedin_url": payload.person_linkedin_url,
        "workflow_slug": payload.workflow_slug,
    }


def _check_definition(name: str | None) -> None:
    """422, as a body validation error, unless `name` is None or a known definition.

    The schema cannot check it: `schemas/` never imports `pipeline/` (README, "Layout").
    """
    if name is None or workflow_registry.get(name) is not None:
        return
    known = ", ".join(sorted(workflow_registry.BY_NAME))
    message = f"is not a known workflow definition (known: {known})"
    error = {"type": "value_error", "loc": ("body", "definition"), "msg": message, "input": name}
    raise RequestValidationError([error])
