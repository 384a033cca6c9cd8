"""Company identity: domain, LinkedIn URL, org id, then name; merges keep every reference."""

from __future__ import annotations

from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from pipeline import tables as t
from tests.integration.conftest import table_counts, wait_job

pytestmark = pytest.mark.integration

PROFILE = "/run/people/clay-native/person-profile/ingest"
CORE = "/run/companies/db/core-company/upsert"
FIRMOGRAPHICS = "/run/companies/clay-native/firmographics/ingest"


def _run(client: TestClient, path: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    response = client.post(path, json=body, params=params)
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    return job


def _job(company: str, start: int, end: int | None, url: str | None = None) -> dict[str, Any]:
    return {
        "company": company,
        "title": "Consultant",
        "starts_at": {"day": None, "month": 1, "year": start},
        "ends_at": {"day": None, "month": 12, "year": end} if end else None,
        "company_linkedin_profile_url": url,
    }


def _person(slug: str, *jobs: dict[str, Any]) -> dict[str, Any]:
    return {
        "linkedin_url": f"https://www.linkedin.com/in/{slug}",
        "raw_payload": {
            "public_identifier": slug,
            "first_name": "Ada",
            "last_name": slug.title(),
            "full_name": f"Ada {slug.title()}",
            "experiences": list(jobs),
        },
    }


def _companies(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.companies)).scalar_one())


def test_spellings_and_a_later_domain_are_one_company(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    first = _person(
        "ada-one", _job("Maybe-Consulting", 2020, None), _job("Maybe Consulting", 2015, 2019)
    )
    _run(client, PROFILE, first)
    _run(client, PROFILE, _person("ada-two", _job("Maybe Consulting GmbH", 2021, None)))
    assert _companies(engine) == 1
    _run(client, CORE, {"domain": "https://www.maybe.com", "name": "Maybe Consulting"})
    assert _companies(engine) == 1
    company = client.get("/api/companies/maybe.com").json()
    assert company["people"] == {"current": 2, "past": 1}
    assert {"Maybe-Consulting", "Maybe Consulting GmbH"} <= {company["name"], *company["aliases"]}
    # Re-syncing a profile finds the same company; nothing is duplicated.
    before = table_counts(engine)
    _run(client, PROFILE, first, force=True)
    after = table_counts(engine)
    after.pop("raw.person_payloads")
    before.pop("raw.person_payloads")
    assert after == before


def test_a_payload_linking_two_companies_merges_them(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    url = "https://www.linkedin.com/company/alpha-co"
    _run(client, CORE, {"domain": "alpha.com", "name": "Alpha"})
    profile = _person("ada-three", _job("Alpha Renamed Ltd", 2022, None, url=url + "/"))
    _run(client, PROFILE, profile)
    assert _companies(engine) == 2
    firmo = {"company_domain": "alpha.com", "raw_payload": {"name": "Alpha", "url": url}}
    job = _run(client, FIRMOGRAPHICS, firmo)
    assert job["result"]["companies"][0]["merged"]
    assert _companies(engine) == 1
    company = client.get("/api/companies/alpha.com").json()
    assert company["people"]["current"] == 1
    assert company["linkedin_url"] == url
    assert "Alpha Renamed Ltd" in company["aliases"]
    # Idempotent: the same payloads again change nothing, and the profile stays on it.
    before = table_counts(engine)
    _run(client, FIRMOGRAPHICS, firmo, force=True)
    _run(client, PROFILE, profile, force=True)
    after = table_counts(engine)
    for table in ("raw.person_payloads", "raw.workflow_payloads"):
        after.pop(table)
        before.pop(table)
    assert after == before
    assert client.get("/api/companies/alpha.com").json()["people"]["current"] == 1
