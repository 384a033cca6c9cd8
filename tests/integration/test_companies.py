"""Company upserts: ids for every key, aliases merged, and no write when nothing is new."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from pipeline import tables as t
from pipeline.store import people
from schemas.records import CompanyRecord


def _upsert(engine: Engine, *companies: CompanyRecord) -> dict[str, int]:
    with engine.begin() as conn:
        return people.upsert_companies(conn, companies=list(companies))


def _row(engine: Engine, key: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(t.companies).where(t.companies.c.company_key == key)).one()


ACME = CompanyRecord(company_key="acme.com", domain="acme.com", name="Acme")


def test_new_and_known_companies_all_get_their_ids(engine: Engine) -> None:
    first = _upsert(engine, ACME)
    both = _upsert(engine, ACME, CompanyRecord(company_key="name:globex", name="Globex"))
    assert both["acme.com"] == first["acme.com"]
    assert set(both) == {"acme.com", "name:globex"}
    assert _upsert(engine) == {}


def test_nothing_new_writes_nothing(engine: Engine) -> None:
    _upsert(engine, ACME)
    before = _row(engine, "acme.com")
    _upsert(engine, ACME.model_copy(update={"name": "Acme"}))
    assert _row(engine, "acme.com").updated_at == before.updated_at


def test_new_names_become_aliases_and_a_missing_url_is_filled(engine: Engine) -> None:
    _upsert(engine, ACME)
    url = "https://www.linkedin.com/company/acme"
    renamed = ACME.model_copy(update={"name": "ACME Inc", "aliases": ("Acme Corp",)})
    _upsert(engine, renamed.model_copy(update={"linkedin_url": url}))
    row = _row(engine, "acme.com")
    assert (row.name, list(row.aliases), row.linkedin_url) == (
        "Acme",
        ["ACME Inc", "Acme Corp"],
        url,
    )
    # A later, different URL does not replace the known one; a known alias changes nothing.
    _upsert(engine, renamed.model_copy(update={"linkedin_url": url + "-other"}))
    again = _row(engine, "acme.com")
    assert (again.linkedin_url, again.updated_at) == (url, row.updated_at)
