"""Read API beyond people: companies, the workflow registry, enrichment status, OpenAPI."""

from __future__ import annotations

from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import load_fixture
from tests.integration.conftest import wait_job
from tests.integration.test_leads import post_lead, scoped_key

INGEST = "/run/people/clay-native/person-profile/ingest"
WORKFLOWS = "/api/enrichment/workflows"
STATUS = "/api/people/workflow-enrichment-status"

#: The profile chain's first run in a process loads the gazetteer (seconds on a busy machine).
FIRST_RUN_S = 90.0

pytestmark = pytest.mark.integration


def ingest(client: TestClient, name: str, **params: Any) -> dict[str, Any]:
    """Send a fixture profile and wait for its job; returns the finished job."""
    response = client.post(INGEST, json=load_fixture(f"payloads/{name}"), params=params)
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"], timeout=FIRST_RUN_S)
    assert job["status"] == "succeeded", job
    return job


def test_company_by_any_spelling_with_people_counts(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    ingest(client, "clay_a.json")  # works at oxbend-devices.com now, and used to before
    ingest(client, "clay_b.json")  # used to work at ferrisbay.ie
    for spelling in ("ferrisbay.ie", "FERRISBAY.IE.", "https://www.ferrisbay.ie/about"):
        response = client.get(f"/api/companies/{spelling}")
        assert response.status_code == 200, (spelling, response.text)
        company = response.json()
        assert company["domain"] == "ferrisbay.ie"
        assert company["people"] == {"current": 0, "past": 1}
        assert company["ticker"] is None
    oxbend = client.get("/api/companies/oxbend-devices.com").json()
    assert oxbend["people"]["current"] + oxbend["people"]["past"] >= 1
    assert "Oxbend Devices LLC" in oxbend["aliases"] or oxbend["name"] == "Oxbend Devices LLC"

    missing = client.get("/api/companies/nobody-here.com")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/api/companies/not a domain").status_code == 422


def test_workflows_listed_with_counts_and_registered_by_admins(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    ingest(client, "clay_a.json")
    post_lead(client, {"client_domain": "acme.io", "work_email": "a@b-corp.com"})
    listed = {w["workflow_slug"]: w for w in client.get(WORKFLOWS).json()["workflows"]}
    assert {"clay-person-profile", "client-form-lead", "clay-pdl-person-enrichment"} <= set(listed)
    assert listed["clay-person-profile"]["counts"]["succeeded"] == 1
    assert listed["client-form-lead"]["counts"] == {
        "queued": 0,
        "running": 0,
        "succeeded": 1,
        "failed": 0,
        "dead": 0,
        "total": 1,
    }
    assert listed["clay-pdl-person-enrichment"]["counts"]["total"] == 0

    new = {"workflow_slug": "clay-apollo-person", "provider": "apollo", "description": "Apollo"}
    created = client.post(WORKFLOWS, json=new)
    assert created.status_code == 201, created.text
    assert created.json()["needs_review"] is False and created.json()["registered"] is True
    changed = client.post(WORKFLOWS, json={"workflow_slug": "clay-apollo-person", "platform": "x"})
    assert changed.status_code == 200
    assert (changed.json()["provider"], changed.json()["platform"]) == ("apollo", "x")

    headers = scoped_key(engine, "acme.io")
    assert client.post(WORKFLOWS, json=new, headers=headers).status_code == 403
    assert client.get(WORKFLOWS, headers=headers).status_code == 403  # client keys: leads only


def test_workflow_enrichment_status(client: TestClient, worker: dramatiq.Worker) -> None:
    body = load_fixture("payloads/clay_a.json")
    query = {"person_linkedin_url": body["linkedin_url"], "workflow_slug": body["workflow_slug"]}
    before = client.post(STATUS, json=query).json()
    assert (before["enriched"], before["count"], before["last_enriched_at"]) == (False, 0, None)

    ingest(client, "clay_a.json")
    ingest(client, "clay_a.json", force="true")
    after = client.post(
        STATUS,
        json={**query, "person_linkedin_url": "HTTP://uk.linkedin.com/in/Marisol-Quennell-4b2e/"},
    ).json()
    assert (after["enriched"], after["count"]) == (True, 2)
    assert after["last_enriched_at"] is not None
    assert after["person_linkedin_url"] == "https://www.linkedin.com/in/marisol-quennell-4b2e"
    other = client.post(STATUS, json={**query, "workflow_slug": "clay-pdl-person-enrichment"})
    assert other.json()["count"] == 0
    bad = client.post(STATUS, json={**query, "person_linkedin_url": "https://example.com/x"})
    assert bad.status_code == 422


#: Every endpoint the contract names for this area, with the body example it must document.
CONTRACT = [
    ("post", "/run/client/leads/ingest", True),
    ("get", "/api/leads", False),
    ("post", "/run/people/db/person-job-title/lookup", True),
    ("post", "/run/people/db/person-location/lookup", True),
    ("post", "/run/reference/job-title/update", True),
    ("post", "/run/reference/location/update", True),
    ("post", "/run/reference/job-title/backfill", False),
    ("post", "/run/companies/db/public-ticker/backfill", True),
    ("get", "/api/companies/{domain}", False),
    ("get", "/api/enrichment/workflows", False),
    ("post", "/api/enrichment/workflows", True),
    ("post", "/api/people/workflow-enrichment-status", True),
]


def test_every_endpoint_is_documented_with_examples(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    for method, path, has_body in CONTRACT:
        operation = doc["paths"][path][method]
        if has_body:
            content = operation["requestBody"]["content"]["application/json"]
            ref = content["schema"].get("$ref", "")
            documented = content.get("examples") or schemas[ref.rsplit("/", 1)[-1]].get("examples")
            assert documented, (method, path)
        ok = next(c for c in ("200", "201", "202") if c in operation["responses"])
        response_schema = operation["responses"][ok]["content"]["application/json"]["schema"]
        name = response_schema["$ref"].rsplit("/", 1)[-1]
        assert schemas[name].get("examples") or name == "JobAccepted", (method, path, name)
