"""Company identity: an index on LinkedIn company URLs, and aliases for known companies.

Every existing company gets its domain, LinkedIn URL, key and name keys as aliases, so
identity resolution (`pipeline.store.companies`) finds companies made before it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ALIASES = sa.text(
    """
    INSERT INTO core.company_aliases (kind, value, company_id)
    SELECT kind, value, company_id
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(kind text, value text, company_id bigint)
    ON CONFLICT DO NOTHING
    """
)


def upgrade() -> None:
    import orjson

    from pipeline import identity
    from schemas.records import CompanyRecord

    op.create_index(
        "ix_companies_linkedin_url", "companies", ["linkedin_url"], unique=False, schema="core"
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, company_key, domain, name, aliases, linkedin_url FROM core.companies "
            "ORDER BY id"
        )
    )
    batch: list[dict[str, object]] = []
    for row in rows.mappings():
        record = CompanyRecord(
            company_key=row["company_key"],
            domain=row["domain"],
            name=row["name"],
            aliases=tuple(row["aliases"]),
            linkedin_url=row["linkedin_url"],
        )
        batch += [
            {"kind": kind, "value": value, "company_id": row["id"]}
            for kind, value in identity.record_keys(record)
        ]
        if len(batch) >= 5000:
            conn.execute(_ALIASES, {"rows": orjson.dumps(batch).decode()})
            batch = []
    if batch:
        conn.execute(_ALIASES, {"rows": orjson.dumps(batch).decode()})


def downgrade() -> None:
    op.drop_index("ix_companies_linkedin_url", table_name="companies", schema="core")
