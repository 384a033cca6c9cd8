"""The job-title and public-ticker backfills, through HTTP on real Redis and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, insert, select

from pipeline import backfill
from pipeline import tables as t
from pipeline.reference import lookup_key
from pipeline.store import people
from schemas.records import CompanyRecord
from tests.integration.conftest import wait_job
from tests.integration.test_leads import scoped_key

TITLES = "/run/reference/job-title/backfill"
TICKERS = "/run/companies/db/public-ticker/backfill"

pytestmark = pytest.mark.integration

#: (title as written, PDL levels, role, sub_role, how many experience rows say so)
SAID = [
    ("Director of Product", ["director"], "product", None, 3),
    ("  director  of PRODUCT", ["vp"], "product", None, 1),
    ("Staff Accountant", [], "finance", "accounting", 2),
    ("Founder & CEO", ["owner", "cxo"], "operations", None, 1),
    ("Designer", ["senior"], "no_such_role", None, 2),
    ("Mystery Title", [], None, None, 4),
    ("Ops Lead", ["manager"], "operations", None, 1),
    ("Ops Lead", ["senior"], "support", None, 1),
]


def _seed(conn: Connection) -> None:
    raw_id = people.insert_person_payload(
        conn, job_id=_uuid(0), linkedin_url=None, workflow_slug="seed", raw_payload={"seed": 1}
    )
    rows = [(title, *rest) for title, *rest, n in SAID for _ in range(n)]
    for i, (title, levels, role, sub_role) in enumerate(rows):
        url = f"https://www.linkedin.com/in/seed-{i}"
        conn.execute(
            insert(t.person_profile).values(
                linkedin_url=url,
                slug=f"seed-{i}",
                shape="pdl",
                workflow_slug="seed",
                raw_payload_id=raw_id,
            )
        )
        conn.execute(
            insert(t.person_experience).values(
                linkedin_url=url,
                position=0,
                title=title,
                title_levels=levels,
                title_role=role,
                title_sub_role=sub_role,
            )
        )
    keys = {lookup_key(title) for title, *_ in SAID}
    for key in sorted(k for k in keys if k):
        preset = "VP" if key == "director of product" else None
        conn.execute(
            insert(t.job_title_lookup).values(
                title_key=key, latest_title=key, cleaned_job_title=key, seniority_level=preset
            )
        )
    person_id = conn.execute(
        insert(t.people)
        .values(linkedin_url="https://www.linkedin.com/in/p", slug="p")
        .returning(t.people.c.id)
    ).scalar_one()
    conn.execute(
        insert(t.person_job_titles).values(
            person_id=person_id,
            latest_title="Staff Accountant",
            title_key="staff accountant",
            matched=False,
        )
    )


def _uuid(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def _expected() -> dict[str, tuple[str | None, str | None]]:
    """The backfill rule computed in Python: the most common PDL reading per title key."""
    votes: dict[str, tuple[Counter[str], Counter[str]]] = {}
    for title, levels, role, sub_role, n in SAID:
        if role is None and not levels:
            continue
        match = backfill.linkedin_from_pdl(levels, role, sub_role)
        seniority, function = votes.setdefault(str(lookup_key(title)), (Counter(), Counter()))
        if match.seniority_level:
            seniority[match.seniority_level] += n
        if match.job_function:
            function[match.job_function] += n
    return {key: (_mode(s), _mode(f)) for key, (s, f) in votes.items()}


def _mode(counts: Counter[str]) -> str | None:
    """Most common value; ties go to the smallest, as PostgreSQL's mode() does."""
    if not counts:
        return None
    top = max(counts.values())
    return min(v for v, n in counts.items() if n == top)


def test_title_backfill_fills_from_pdl_and_rematches_people(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    with engine.begin() as conn:
        _seed(conn)
    response = client.post(TITLES)
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job

    with engine.connect() as conn:
        rows = {
            r.title_key: (r.seniority_level, r.job_function)
            for r in conn.execute(select(t.job_title_lookup))
        }
        person = conn.execute(select(t.person_job_titles)).one()
    expected = _expected()
    for key, (seniority, function) in rows.items():
        if key == "director of product":
            assert (seniority, function) == ("VP", "Product Management")  # preset value kept
        elif key == "mystery title":
            assert (seniority, function) == (None, None)
        else:
            assert (seniority, function) == expected[key], key
    assert rows["founder & ceo"] == ("Owner", "Operations")
    assert rows["staff accountant"] == ("Entry", "Accounting")
    assert rows["designer"] == ("Senior", None)

    result = job["result"]
    assert result["titles_filled"] == 5
    assert result["seniority_filled"] == 4  # director of product had one already
    assert result["function_filled"] == 4  # designer's role maps to nothing
    assert result["people_rematched"] == 1
    assert person.matched is True
    assert (person.seniority_level, person.job_function) == ("Entry", "Accounting")

    # Running it again changes nothing.
    again = wait_job(client, client.post(TITLES).json()["job_id"])["result"]
    assert (again["titles_filled"], again["people_rematched"]) == (0, 0)


def _companies(engine: Engine) -> None:
    with engine.begin() as conn:
        people.upsert_companies(
            conn,
            companies=[
                CompanyRecord(company_key="acme.com", domain="acme.com", name="Acme"),
                CompanyRecord(company_key="globex.io", domain="globex.io", name="Globex"),
            ],
        )


def test_ticker_backfill_reports_unknown_domains(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    _companies(engine)
    items: list[dict[str, Any]] = [
        {"domain": "https://www.ACME.com/investors", "ticker": "acme"},
        {"domain": "globex.io", "ticker": "GBX"},
        {"domain": "not-yet-known.com", "ticker": "NYK"},
    ]
    job = wait_job(client, client.post(TICKERS, json=items).json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["result"] == {
        "received": 3,
        "domains": 3,
        "updated": 2,
        "unknown_domains": ["not-yet-known.com"],
    }
    company = client.get("/api/companies/WWW.Acme.com").json()
    assert company["ticker"] == "ACME"

    one = client.post(TICKERS, json={"domain": "acme.com", "ticker": "ACM.L"})
    assert wait_job(client, one.json()["job_id"])["result"]["updated"] == 1
    assert client.get("/api/companies/acme.com").json()["ticker"] == "ACM.L"
    with engine.connect() as conn:
        unlinked = conn.execute(
            select(t.company_public.c.company_id).where(
                t.company_public.c.domain == "not-yet-known.com"
            )
        ).scalar_one()
    assert unlinked is None  # kept for when the company arrives


def test_backfills_refuse_bad_input_and_scoped_keys(client: TestClient, engine: Engine) -> None:
    bad = client.post(TICKERS, json=[{"domain": "acme.com", "ticker": "A"}, {"domain": "??"}])
    assert bad.status_code == 422
    assert client.post(TICKERS, json=[]).status_code == 422
    headers = scoped_key(engine, "acme.io")
    assert client.post(TITLES, headers=headers).status_code == 403
    body = {"domain": "acme.com", "ticker": "ACME"}
    assert client.post(TICKERS, json=body, headers=headers).status_code == 403
