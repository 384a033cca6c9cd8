"""Every workflow definition, by name, path and default slug.

How to add a workflow (a new Clay table, a new provider):

1. If its body has the shape of a known definition, no code at all: register its slug onto
   that definition (`POST /api/enrichment/workflows {"workflow_slug", "definition"}`, admin)
   and point the table at the definition's path with `workflow_slug` in the body.
2. Otherwise write one module `pipeline/workflows/<name>.py` with:
   - the request model, subclassing `schemas.webhooks.Inbound` (or a base in
     `pipeline.workflows.bodies`), so Clay's empty cells and `{{Column}}` are linted;
   - a pure `extract(body) -> Facts | None` (readers in `pipeline.workflows.values` and
     `pipeline.workflows.companies`; return None when the body holds nothing usable);
   - `DEFINITION = Definition(name, routes=(Route(path, slug),), request, entity,
     natural_key, extract, feeds, priority)`;
   and add it to `DEFINITIONS` below, with tests (`tests/unit/test_workflow_*.py` for the
   extractor, one integration case through HTTP). The route, OpenAPI entry, actors, job
   tracking, dead letters, replay, de-duplication and registry row come from the mechanism.
   A new *kind* of fact (beyond `pipeline.workflows.facts`) needs a store sink in
   `pipeline.store.workflows.SINKS`; nothing else changes.
"""

from __future__ import annotations

from typing import Any

from pipeline.workflows import (
    Definition,
    anymailfinder,
    client_lead,
    company_updates,
    companyenrich,
    core_company,
    find_companies,
    find_people,
    firmographics,
    icypeas,
    leadmagic,
    person_profile,
    salesnav_company,
    salesnav_people,
    signal_job_change,
    signal_job_posting,
)

#: Every definition; the gateway makes one route per path, in this order.
DEFINITIONS: tuple[Definition[Any], ...] = (
    person_profile.DEFINITION,
    client_lead.DEFINITION,
    client_lead.TARGET,
    firmographics.DEFINITION,
    find_companies.DEFINITION,
    companyenrich.DEFINITION,
    core_company.DEFINITION,
    core_company.FULL,
    company_updates.COMPANY_LINKEDIN,
    company_updates.VC_DOMAIN,
    company_updates.PUBLIC_COMPANY,
    salesnav_company.DEFINITION,
    find_people.DEFINITION,
    anymailfinder.DEFINITION,
    icypeas.DEFINITION,
    leadmagic.DEFINITION,
    salesnav_people.DEFINITION,
    signal_job_change.JOB_CHANGE,
    signal_job_change.PROMOTION,
    signal_job_posting.JOB_POSTING,
    signal_job_change.JOB_CHANGE_FLAT,
    signal_job_change.PROMOTION_FLAT,
    signal_job_posting.NEW_HIRE_FLAT,
    signal_job_posting.JOB_POSTING_FLAT,
)

BY_NAME: dict[str, Definition[Any]] = {d.name: d for d in DEFINITIONS}
BY_PATH: dict[str, Definition[Any]] = {r.path: d for d in DEFINITIONS for r in d.routes}
#: Each definition's own slugs (the ones its routes default to).
BY_SLUG: dict[str, Definition[Any]] = {s: d for d in DEFINITIONS for s in d.slugs}


def _check() -> None:
    if len(BY_NAME) != len(DEFINITIONS):
        raise RuntimeError("two workflow definitions share a name")
    if len(BY_PATH) != sum(len(d.routes) for d in DEFINITIONS):
        raise RuntimeError("two workflow definitions answer the same path")


_check()


def get(name: str | None) -> Definition[Any] | None:
    """The definition with this name, or None (unknown or not given)."""
    return BY_NAME.get(name) if name else None


#: Priority of a source with no registry priority and no known definition (after every
#: other). The one rule for a source's coalesce priority is `priority`; the company golden
#: record applies the same rule inside SQL with `DEFAULT_PRIORITIES` and this constant.
UNREGISTERED_PRIORITY = 1000

#: Each definition's default coalesce priority, by definition name.
DEFAULT_PRIORITIES: dict[str, int] = {d.name: d.priority for d in DEFINITIONS}


def priority(registered: int | None, definition: str | None) -> int:
    """A source's coalesce priority (lower wins): its registry row's own, else its
    definition's default, else `UNREGISTERED_PRIORITY`."""
    if registered is not None:
        return int(registered)
    return DEFAULT_PRIORITIES.get(definition or "", UNREGISTERED_PRIORITY)


def default_row(slug: str, definition: Definition[Any]) -> dict[str, Any]:
    """The registry row a definition's own slug gets when first used."""
    return {
        "workflow_slug": slug,
        "provider": definition.provider,
        "platform": definition.platform,
        "payload_type": f"{definition.entity}_{definition.name}",
        "entity_type": definition.entity,
        "definition": definition.name,
        "priority": definition.priority,
        "is_active": True,
        "needs_review": False,
        "description": next(
            (r.summary for r in definition.routes if r.slug == slug), definition.description
        ),
    }
