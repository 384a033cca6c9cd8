"""Client leads end to end: HTTP → Redis → store_lead → write_lead → PostgreSQL → GET /api/leads."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from pipeline import tables as t
from tests.conftest import create_key, fixtures_dir, load_fixture
from tests.integration.conftest import wait_job

INGEST = "/run/client/leads/ingest"

pytestmark = pytest.mark.integration


def scoped_key(engine: Engine, client_domain: str) -> dict[str, str]:
    """Headers carrying a new key scoped to `client_domain`."""
    _, key = create_key(engine, client_domain=client_domain, name=f"client {client_domain}")
    return {"Authorization": f"Bearer {key}"}


def post_lead(client: TestClient, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Send a lead and wait for its job to finish; returns the finished job."""
    response = client.post(INGEST, json=body, **kwargs)
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    return job


def _expected() -> list[dict[str, Any]]:
    path = fixtures_dir() / "leads_expected.json"
    items: list[dict[str, Any]] = json.loads(path.read_text())["items"] if path.exists() else []
    return items


def _same(actual: Any, wanted: Any, *, fold: bool = False) -> bool:
    if fold and isinstance(actual, str) and isinstance(wanted, str):
        return actual.casefold() == wanted.casefold()
    return bool(actual == wanted)


@pytest.mark.parametrize("item", _expected(), ids=lambda i: i["file"])
def test_fixture_lead_matches_expected(
    client: TestClient, worker: dramatiq.Worker, engine: Engine, item: dict[str, Any]
) -> None:
    body = load_fixture(f"leads/{item['file']}")
    job = post_lead(client, body)
    assert [s["stage"] for s in job["stages"]] == ["store_lead", "write_lead"]
    assert job["workflow_slug"] == "client-form-lead"

    page = client.get("/api/leads", params={"client_domain": body["client_domain"]}).json()
    assert page["client_domain"] == item["client_domain"]
    (lead,) = page["leads"]
    for field in (
        "client_domain client_form_id email job_title seniority function company_name "
        "company_domain company_size company_industry is_free_email person_key"
    ).split():
        assert lead[field] == item[field], field
    for field in ("first_name", "last_name", "full_name"):
        assert _same(lead[field], item[field], fold=True), field
    urls = {item["linkedin_url"], *map(unquote, item.get("linkedin_url_equivalents", []))}
    assert unquote(lead["linkedin_url"]) in urls
    assert [p["person_key"] for p in page["people"]] == [item["person_key"]]
    companies = [c["company_domain"] for c in page["companies"]]
    assert companies == ([item["company_domain"]] if item["company_domain"] else [])
    with engine.connect() as conn:
        raw = conn.execute(select(t.client_lead_payloads.c.raw_payload)).scalar_one()
    assert raw == body  # stored exactly as sent, padding and case included


def test_people_and_companies_are_one_per_key_and_newer_details_win(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    base = {"client_domain": "acme.io", "company_domain": "globex.com", "company_name": "Globex"}
    newer = {
        **base,
        "work_email": "Ann.Lee@Globex.com",
        "job_title": "VP Sales",
        "submitted_at": "2026-03-02T10:00:00Z",
    }
    older = {
        **base,
        "work_email": " ann.lee@globex.COM ",
        "job_title": "Sales Manager",
        "first_name": "Ann",
        "submitted_at": "2026-03-01T10:00:00Z",
        "utm_source": "linkedin-ads",
    }
    free = {"client_domain": "acme.io", "work_email": "someone@gmail.com"}
    for body in (newer, older, free):  # the older submission arrives last but one
        post_lead(client, body)

    page = client.get("/api/leads", params={"client_domain": "ACME.io"}).json()
    assert page["counts"] == {"leads": 3, "people": 2, "companies": 1}
    ann = next(p for p in page["people"] if p["person_key"] == "ann.lee@globex.com")
    assert ann["lead_count"] == 2
    assert ann["job_title"] == "VP Sales"  # the newer submission's title stays
    assert ann["first_name"] == "Ann"  # a gap the older one could fill
    assert ann["first_seen_at"].startswith("2026-03-01")
    assert ann["last_seen_at"].startswith("2026-03-02")
    (company,) = page["companies"]
    assert company["company_domain"] == "globex.com" and company["lead_count"] == 2
    gmail = next(lead for lead in page["leads"] if lead["email"] == "someone@gmail.com")
    assert gmail["is_free_email"] is True and gmail["company_domain"] is None
    kept = next(lead for lead in page["leads"] if lead["extra"])
    assert kept["extra"] == {"utm_source": "linkedin-ads"}


def test_leads_page_newest_first_with_cursor(client: TestClient, worker: dramatiq.Worker) -> None:
    days = ["2026-01-05", "2026-01-01", "2026-01-04", "2026-01-02", "2026-01-03"]
    for i, day in enumerate(days):
        body = {"client_domain": "pages.io", "work_email": f"p{i}@corp{i}.com"}
        post_lead(client, {**body, "submitted_at": f"{day}T09:00:00Z"})

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"client_domain": "pages.io", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/leads", params=params).json()
        assert len(page["leads"]) <= 2
        assert {p["person_key"] for p in page["people"]} == {x["email"] for x in page["leads"]}
        seen += [lead["submitted_at"][:10] for lead in page["leads"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(days, reverse=True)
    bad = client.get("/api/leads", params={"client_domain": "pages.io", "cursor": "nonsense"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"


def test_a_repeat_is_one_job_and_force_makes_another_lead(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    body = {"client_domain": "acme.io", "work_email": "bo@initech.com"}
    first = client.post(INGEST, json=body).json()
    again = client.post(INGEST, json=body).json()
    assert again["job_id"] == first["job_id"] and again["duplicate"] is True
    wait_job(client, first["job_id"])
    post_lead(client, body, params={"force": "true"})
    page = client.get("/api/leads", params={"client_domain": "acme.io"}).json()
    assert page["counts"]["leads"] == 2
    assert page["people"][0]["lead_count"] == 2


def test_scoped_key_reaches_only_its_own_client(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    own = scoped_key(engine, "thistlecove.ai")
    mine = {"client_domain": "https://www.Thistlecove.AI/", "work_email": "a@b-corp.com"}
    theirs = {"client_domain": "tallisferry.io", "work_email": "c@d-corp.com"}

    assert client.post(INGEST, json=theirs, headers=own).status_code == 403
    response = client.post(INGEST, json=mine, headers=own)
    assert response.status_code == 202, response.text
    wait_job(client, response.json()["job_id"])

    other = client.get("/api/leads", params={"client_domain": "tallisferry.io"}, headers=own)
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "forbidden"
    page = client.get("/api/leads", headers=own)  # a scoped key may leave client_domain out
    assert page.status_code == 200
    assert [lead["email"] for lead in page.json()["leads"]] == ["a@b-corp.com"]
    assert client.get("/api/leads").status_code == 422  # an admin must say which client


def test_a_scoped_key_follows_its_own_lead_jobs_and_no_others(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    own = scoped_key(engine, "thistlecove.ai")
    stranger = scoped_key(engine, "tallisferry.io")
    body = {"client_domain": "thistlecove.ai", "work_email": "e@f-corp.com"}
    job_id = client.post(INGEST, json=body, headers=own).json()["job_id"]

    assert client.get(f"/jobs/{job_id}", headers=own).status_code == 200  # queued or later
    assert client.get(f"/jobs/{job_id}", headers=stranger).status_code == 404
    done = wait_job(client, job_id)  # admin
    assert done["status"] == "succeeded"
    mine = client.get(f"/jobs/{job_id}", headers=own)
    assert (mine.status_code, mine.json()["status"]) == (200, "succeeded")
    assert client.get(f"/jobs/{job_id}", headers=stranger).status_code == 404

    # Any job that is not one of its client's leads does not exist for a scoped key.
    other = client.post(INGEST, json={**body, "client_domain": "tallisferry.io"})
    assert client.get(f"/jobs/{other.json()['job_id']}", headers=own).status_code == 404
    lookup = client.post("/run/people/db/person-job-title/lookup", json={"job_title": "CEO"})
    lookup_job = lookup.json()["job_id"]
    assert client.get(f"/jobs/{lookup_job}").status_code == 200
    assert client.get(f"/jobs/{lookup_job}", headers=own).status_code == 404


def test_invalid_lead_is_rejected_before_the_queue(client: TestClient) -> None:
    for body in ({"work_email": "a@b.com"}, {"client_domain": "not a domain"}):
        response = client.post(INGEST, json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["field"] == "client_domain"
