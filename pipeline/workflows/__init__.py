"""Enrichment workflows: each one a definition (data) plus one pure extractor.

A definition (`Definition`) names the workflow's slug(s) and the old route path(s) it
answers, its request model, the entity it is about and its natural key, and a pure
`extract(request) -> Facts | None`. `pipeline.workflows.registry` collects the definitions;
the gateway generates one route per path from them (`gateway.routes_workflows`) and one
generic actor chain runs every workflow (`workers.workflows`: store raw → extract → sync),
so adding a workflow needs no new route function, actor or table. See
`pipeline/workflows/registry.py` for how to add one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pipeline.workflows.facts import CompanyFacts, Facts, Item
from schemas.webhooks import Inbound

R = TypeVar("R", bound=Inbound)

__all__ = ["Chain", "CompanyFacts", "Definition", "Facts", "Item", "Route"]


@dataclass(frozen=True)
class Route:
    """One `POST` path a definition answers, and the slug a body without one is counted as."""

    path: str
    slug: str
    summary: str = ""


@dataclass(frozen=True)
class Chain:
    """A definition's own actor chain, for the two that predate the generic one (person
    profiles: store_raw → extract_profile → sync_core; client leads: store_lead →
    write_lead), whose stage names and messages are part of their contract.

    - `first_stage`: the actor the gateway enqueues; `kind`: the jobs' `ops.jobs.kind`;
    - `message`: pure (validated body, body as received) → that actor's `body` argument.
    """

    first_stage: str
    kind: str
    message: Callable[[Any, Any], dict[str, Any]]


@dataclass(frozen=True)
class Definition(Generic[R]):
    """A workflow: what it accepts, what it is about and what it makes of a body.

    - `name`: the definition's id (stored in the registry's `definition` column).
    - `routes`: the old paths (under `/run`) and each one's default slug.
    - `request`: the body model; subclasses `schemas.webhooks.Inbound` (Clay linting).
    - `entity`: what the body is about (`company`, `person`, `email`, `signal`).
    - `natural_key`: the entity's key in a body (re-fires are de-duplicated on it + body).
    - `extract`: pure body → `Facts`; None when it cannot make anything of this body
      (the body is kept raw and the job succeeds with `extracted: false`).
    - `feeds`: the canonical facts its rows feed (documentation and the listing).
    - `priority`: default coalesce priority of its facts (lower wins; the registry's
      `priority` overrides it per slug).
    - `chain`: its own actor chain (`Chain`); None (the default) for the generic one.
      `extract` is then None: the chain's stages extract.
    - `open_slugs`: a body may name any slug (its chain registers new ones, flagged for
      review) instead of only the registry's active ones.
    - `client_of`: the normalised client a body acts for, when its `client_domain` needs
      more than reading (scoped keys may only send their own client's bodies).
    """

    name: str
    routes: tuple[Route, ...]
    request: type[R]
    entity: str
    natural_key: Callable[[R], str | None]
    extract: Callable[[R], Facts | None] | None
    feeds: tuple[str, ...]
    priority: int
    provider: str | None = None
    platform: str | None = None
    description: str = ""
    chain: Chain | None = None
    open_slugs: bool = False
    client_of: Callable[[R], str | None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def slugs(self) -> tuple[str, ...]:
        """The slugs its routes count bodies under by default, in route order, no repeats."""
        return tuple(dict.fromkeys(route.slug for route in self.routes))

    @property
    def client_scoped(self) -> bool:
        """Whether its body names a client (`client_domain`), so scoped keys may send it."""
        return "client_domain" in self.request.model_fields

    def run(self, body: dict[str, Any]) -> tuple[R, Facts | None]:
        """Validate a stored body (linting included, as the gateway did) and extract it."""
        request = self.request.model_validate(body)
        return request, self.extract(request) if self.extract else None

    def client(self, request: R) -> str | None:
        """The client a body acts for (None when the definition is not client-scoped)."""
        if self.client_of is not None:
            return self.client_of(request)
        found = getattr(request, "client_domain", None)
        return str(found) if found is not None else None
