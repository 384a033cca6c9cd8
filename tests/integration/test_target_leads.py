"""Target-client leads: the client-lead chain under `target_client_domain`, and linking a
client's leads to the golden person and company."""

from __future__ import annotations

from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from pipeline import tables as t
from tests.integration.conftest import wait_job
from tests.integration.test_leads import scoped_key

INGEST = "/run/target-client/leads/ingest"

pytestmark = pytest.mark.integration

LEAD = {
    "target_client_domain": "https://www.Thistlecove.AI/",
    "work_email": " Hollis.Varga@Skarvik-Maritime.NO ",
    "person_linkedin_url": "https://LinkedIn.com/in/Hollis-Varga/",
    "company_domain": "www.skarvik-maritime.no",
    "job_title": "Chief Technology Officer",
    "utm_campaign": "q1",
}


def finished(client: TestClient, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    return job


def test_a_target_client_lead_runs_the_lead_chain_under_its_client(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    job = finished(client, client.post(INGEST, json=LEAD))
    assert [s["stage"] for s in job["stages"]] == ["store_lead", "write_lead"]
    assert job["workflow_slug"] == "target-client-lead"
    assert job["result"]["client_domain"] == "thistlecove.ai"

    page = client.get("/api/leads", params={"client_domain": "thistlecove.ai"}).json()
    (lead,) = page["leads"]
    assert lead["client_domain"] == "thistlecove.ai"
    assert lead["email"] == "hollis.varga@skarvik-maritime.no"
    assert lead["company_domain"] == "skarvik-maritime.no"
    assert lead["seniority"] == "CXO"
    assert lead["extra"] == {"utm_campaign": "q1"}  # the client key is no unknown field
    assert page["counts"] == {"leads": 1, "people": 1, "companies": 1}
    with engine.connect() as conn:
        raw = conn.execute(select(t.client_lead_payloads)).one()._mapping
    assert raw["raw_payload"] == LEAD  # exactly as sent
    assert raw["client_domain"] == "thistlecove.ai"

    again = client.post(INGEST, json=LEAD).json()  # a repeat is the same job
    assert (again["job_id"], again["duplicate"]) == (job["job_id"], True)


def test_the_target_route_takes_target_client_domain_only(client: TestClient) -> None:
    body = {k: v for k, v in LEAD.items() if k != "target_client_domain"}
    cases = [
        ({**body, "client_domain": "thistlecove.ai"}, "target_client_domain", "is required"),
        ({**LEAD, "target_client_domain": "not a domain"}, "target_client_domain", "domain"),
        ({**LEAD, "client_domain": "tallisferry.io"}, "client_domain", "another client"),
    ]
    for sent, field, words in cases:
        response = client.post(INGEST, json=sent)
        assert response.status_code == 422, sent
        error = response.json()["error"]
        assert error["field"] == field and words in error["message"], error
    same = client.post(INGEST, json={**LEAD, "client_domain": "thistlecove.ai"})
    assert same.status_code == 202  # the same client in both spellings is no conflict


def test_a_scoped_key_sends_target_leads_for_its_own_client_only(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    own = scoped_key(engine, "thistlecove.ai")
    other = client.post(
        INGEST, json={**LEAD, "target_client_domain": "tallisferry.io"}, headers=own
    )
    assert other.status_code == 403
    job = finished(client, client.post(INGEST, json=LEAD, headers=own))
    assert client.get(f"/jobs/{job['job_id']}", headers=own).status_code == 200
    stranger = scoped_key(engine, "tallisferry.io")
    assert client.get(f"/jobs/{job['job_id']}", headers=stranger).status_code == 404
    mine = client.get("/api/leads", headers=own).json()
    assert [lead["email"] for lead in mine["leads"]] == ["hollis.varga@skarvik-maritime.no"]


def test_the_target_route_is_listed_with_its_body(client: TestClient) -> None:
    listed = {
        w["workflow_slug"]: w for w in client.get("/api/enrichment/workflows").json()["workflows"]
    }
    target = listed["target-client-lead"]
    assert (target["definition"], target["paths"]) == (
        "target_client_lead",
        ["/run/target-client/leads/ingest"],
    )
    document = client.get("/openapi.json").json()
    body = document["paths"][INGEST]["post"]["requestBody"]["content"]["application/json"]
    name = body["schema"]["$ref"].rsplit("/", 1)[-1]
    schema = document["components"]["schemas"][name]
    assert "target_client_domain" in schema["required"]
    assert "client_domain" not in schema["properties"]
