"""Seed the standard enrichment workflows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (slug, provider, platform, payload_type, entity_type, description)
STANDARD = [
    (
        "clay-person-profile",
        "clay",
        "clay",
        "person_profile",
        "person",
        "Clay enrich-person (or a provider Clay forwards) for one LinkedIn profile",
    ),
    (
        "clay-proxycurl-person-profile",
        "proxycurl",
        "clay",
        "person_profile",
        "person",
        "Proxycurl/EnrichLayer person profile forwarded by Clay",
    ),
    (
        "clay-pdl-person-enrichment",
        "peopledatalabs",
        "clay",
        "person_profile",
        "person",
        "People Data Labs person enrichment forwarded by Clay",
    ),
    (
        "clay-company-profile",
        "clay",
        "clay",
        "company_profile",
        "company",
        "Clay enrich-company for one company domain",
    ),
    ("client-form-lead", "client", "webhook", "lead", "lead", "A client's form submission"),
]

registry = sa.table(
    "enrichment_workflow_registry",
    sa.column("workflow_slug", sa.Text),
    sa.column("provider", sa.Text),
    sa.column("platform", sa.Text),
    sa.column("payload_type", sa.Text),
    sa.column("entity_type", sa.Text),
    sa.column("description", sa.Text),
    schema="reference",
)


def upgrade() -> None:
    keys = ("workflow_slug", "provider", "platform", "payload_type", "entity_type", "description")
    op.bulk_insert(registry, [dict(zip(keys, row, strict=True)) for row in STANDARD])


def downgrade() -> None:
    slugs = [row[0] for row in STANDARD]
    op.execute(registry.delete().where(registry.c.workflow_slug.in_(slugs)))
