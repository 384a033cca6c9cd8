"""SalesNav people: a member-id-only identity that merges when a public URL arrives."""

from __future__ import annotations

import copy
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import load_fixture
from tests.integration.conftest import table_counts, wait_job

pytestmark = pytest.mark.integration

SALESNAV = "/run/people/salesnav/scraped-data/ingest"
FIND_PEOPLE = "/run/people/clay-native/find-people/ingest"
MEMBER = "ACwAAAFAKEFAKEFAKEFAKEFAKEFAKEFAKE00"
MEMBER_URL = f"https://www.linkedin.com/in/{MEMBER}"
PUBLIC = "https://www.linkedin.com/in/jane-doe-form"


def _run(client: TestClient, path: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    response = client.post(path, json=body, **kw)
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    return job


def _person(client: TestClient, url: str) -> dict[str, Any]:
    response = client.get("/api/people", params={"linkedin_url": url})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_clay_export_row_is_its_own_identity_until_a_public_url_arrives(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    export = load_fixture("workflows/salesnav-clay-ex_1.json")
    job = _run(client, SALESNAV, export)
    assert job["result"]["extracted"] is True
    person = _person(client, MEMBER_URL.lower())
    assert (person["linkedin_url"], person["slug"]) == (f"salesnav:{MEMBER}", MEMBER)
    assert (person["full_name"], person["location"]["city"]) == ("Jane Doe", "Springfield")
    assert person["tenure"]["company_domain"] == "formhealth.co"
    assert (person["tenure"]["start_date"], person["tenure"]["start_date_precision"]) == (
        "2024-08-01",
        "month",
    )
    assert person["job_title"]["latest_title"] == "Director of Security"
    assert person["provenance"]["full_name"]["observed_at"].startswith("2026-02-02T19:42")
    # The same person, known by a public URL from find people …
    found = {
        "linkedin_url": PUBLIC,
        "raw_payload": {
            "name": "Jane Doe",
            "domain": "formhealth.co",
            "latest_experience_title": "Director of Security",
            "latest_experience_company": "Form Health",
            "location_name": "Springfield, IL",
        },
    }
    _run(client, FIND_PEOPLE, found)
    # … and a scrape that names both: the two are one person, one Form Health job.
    scrape = {
        "linkedin_url": "HTTP://LinkedIn.com/in/Jane-Doe-Form/",
        "linkedin_urn": f"urn:li:fs_salesProfile:({MEMBER},NAME_SEARCH,abc)",
        "first_name": "Jane",
        "last_name": "Doe",
        "current_title": "Director of Security",
        "company_name": "Form Health",
        "company_website": "https://formhealth.co",
        "job_started_on": "08-2024",
        "past_companies": ["Palantir Technologies", {"company_name": "Acme, Inc."}],
        "headline": "null",
    }
    _run(client, SALESNAV, scrape)
    merged = _person(client, PUBLIC)
    assert merged["linkedin_url"] == PUBLIC
    assert _person(client, MEMBER_URL) == merged
    forms = [w for w in merged["work_history"] if w["company_domain"] == "formhealth.co"]
    assert len(forms) == 1 and forms[0]["is_current"] is True
    past = {p["company_name"] for p in merged["past_employers"]}
    assert past == {"Palantir Technologies", "Acme, Inc."}
    with engine.connect() as conn:
        from sqlalchemy import text

        people = conn.execute(text("SELECT count(*) FROM core.people")).scalar_one()
    assert people == 1
    # Re-firing every body changes nothing.
    before = table_counts(engine)
    for path, body in ((SALESNAV, export), (FIND_PEOPLE, found), (SALESNAV, scrape)):
        _run(client, path, body, params={"force": True})
    after = table_counts(engine)
    assert after.pop("raw.workflow_payloads") == before.pop("raw.workflow_payloads") + 3
    assert after == before
    assert _person(client, PUBLIC) == merged


def test_scrape_variations_and_nothing_to_key_on(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    export = copy.deepcopy(load_fixture("workflows/salesnav-clay-ex_1.json"))
    export["LinkedIn user profile URN"] = "null"
    export["Job started on"] = ""
    export["Company website"] = "WWW.FormHealth.co"
    _run(client, SALESNAV, export)
    person = _person(client, MEMBER_URL)
    assert person["tenure"]["company_domain"] == "formhealth.co"
    assert person["tenure"]["start_date"] is None
    nobody = {"first_name": "Jane", "company_name": "Form Health"}
    assert _run(client, SALESNAV, nobody)["result"]["extracted"] is False
