"""Pure rules for the reference tables: lookup keys and workflow-slug registration."""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel, ConfigDict

_SPACE = re.compile(r"\s+")

#: Provider names that may appear in a workflow slug, in the order they are tried.
PROVIDERS = (
    ("proxycurl", "proxycurl"),
    ("enrichlayer", "proxycurl"),
    ("pdl", "peopledatalabs"),
    ("peopledatalabs", "peopledatalabs"),
    ("apollo", "apollo"),
    ("clearbit", "clearbit"),
    ("clay", "clay"),
)

#: Entity words that may appear in a workflow slug.
ENTITIES = (("company", "company"), ("lead", "lead"), ("person", "person"), ("people", "person"))


def lookup_key(value: str | None) -> str | None:
    """The key lookups match on: NFKC, case-folded, whitespace trimmed and collapsed.

    Keep in step with the SQL in `store.reference`, which stores only keys made here.
    """
    if value is None:
        return None
    key = _SPACE.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()
    return key or None


class WorkflowInfo(BaseModel):
    """What a workflow slug says about itself, for `reference.enrichment_workflow_registry`."""

    model_config = ConfigDict(frozen=True)

    workflow_slug: str
    provider: str | None
    platform: str | None
    payload_type: str | None
    entity_type: str | None


def describe_workflow(slug: str, *, default_entity: str = "person") -> WorkflowInfo:
    """Guess provider/entity from an unknown slug; the row is flagged for review anyway."""
    words = set(re.split(r"[^a-z0-9]+", slug.lower()))
    provider = next((name for word, name in PROVIDERS if word in words), None)
    entity = next((name for word, name in ENTITIES if word in words), default_entity)
    return WorkflowInfo(
        workflow_slug=slug,
        provider=provider,
        platform="clay" if "clay" in words else None,
        payload_type=f"{entity}_profile" if entity != "lead" else "lead",
        entity_type=entity,
    )
