"""The workflow mechanism end to end: generated routes, registry, raw first, golden record."""

from __future__ import annotations

import copy
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from pipeline import tables as t
from tests.conftest import load_fixture
from tests.integration.conftest import drain, table_counts, wait_job

pytestmark = pytest.mark.integration

FIRMOGRAPHICS = "/run/companies/clay-native/firmographics/ingest"
WORKFLOW_QUEUES = ("store_workflow", "extract_workflow", "sync_workflow")


def _run(client: TestClient, path: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    response = client.post(path, json=body, params=params)
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    return job


def _company(client: TestClient, domain: str) -> dict[str, Any]:
    response = client.get(f"/api/companies/{domain}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_firmographics_sample_lands_with_provenance(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    body = load_fixture("workflows/clay-company-firmographics_1.json")
    job = _run(client, FIRMOGRAPHICS, body)
    assert [s["stage"] for s in job["stages"]] == list(WORKFLOW_QUEUES)
    assert job["result"]["extracted"] is True
    company = _company(client, "https://WWW.Example.com/")
    assert company["name"] == "Example Corp"
    assert company["linkedin_url"] == "https://www.linkedin.com/company/example"
    assert company["linkedin_org_id"] == "12345"
    assert (company["industry"], company["size_range"], company["employee_count"]) == (
        "Software",
        "51-200",
        150,
    )
    assert company["founded_year"] == 2010
    assert company["city"] == "San Francisco"
    assert company["specialties"] == ["Enterprise Software", "SaaS"]
    assert company["provenance"]["industry"]["source"] == "clay-company-firmographics"
    assert company["provenance"]["industry"]["observed_at"].startswith("2026-01-10T12:00")
    with engine.connect() as conn:
        raw = conn.execute(select(t.workflow_payloads)).one()
    assert raw.raw_payload == body  # exactly as received
    # Re-firing the same body (forced past de-duplication) changes nothing.
    before = table_counts(engine)
    _run(client, FIRMOGRAPHICS, body, force=True)
    after = table_counts(engine)
    assert after.pop("raw.workflow_payloads") == before.pop("raw.workflow_payloads") + 1
    assert after == before
    assert _company(client, "example.com") == company


def test_same_body_is_the_same_job(client: TestClient, worker: dramatiq.Worker) -> None:
    body = load_fixture("workflows/clay-company-firmographics_1.json")
    first = client.post(FIRMOGRAPHICS, json=body).json()
    again = client.post(FIRMOGRAPHICS, json=body).json()
    assert again["job_id"] == first["job_id"] and again["duplicate"] is True
    drain(worker, WORKFLOW_QUEUES)


def test_unknown_and_inactive_slugs_are_422_naming_the_registered(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    body = load_fixture("workflows/clay-company-firmographics_1.json")
    unknown = client.post(FIRMOGRAPHICS, json={**body, "workflow_slug": "nobody-knows"})
    assert unknown.status_code == 422
    assert "clay-company-firmographics" in unknown.text
    registered = client.post(
        "/api/enrichment/workflows",
        json={"workflow_slug": "clay-company-firmographics", "is_active": False},
    )
    assert registered.status_code in (200, 201), registered.text
    inactive = client.post(FIRMOGRAPHICS, json=body)
    assert inactive.status_code == 422, inactive.text


def test_a_slug_registered_over_http_works_without_a_deploy(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    unknown_definition = client.post(
        "/api/enrichment/workflows",
        json={"workflow_slug": "clay-firmo-eu", "definition": "no-such-thing"},
    )
    assert unknown_definition.status_code == 422
    assert "firmographics" in unknown_definition.text
    created = client.post(
        "/api/enrichment/workflows",
        json={"workflow_slug": "clay-firmo-eu", "definition": "firmographics", "priority": 5},
    )
    assert created.status_code == 201, created.text
    assert created.json()["extracts"] is True
    body = load_fixture("workflows/clay-company-firmographics_1.json")
    _run(client, FIRMOGRAPHICS, {**body, "workflow_slug": "clay-firmo-eu"})
    assert _company(client, "example.com")["provenance"]["name"]["source"] == "clay-firmo-eu"
    listed = {
        w["workflow_slug"]: w for w in client.get("/api/enrichment/workflows").json()["workflows"]
    }
    assert listed["clay-firmo-eu"]["counts"]["succeeded"] == 1
    assert listed["clay-firmo-eu"]["paths"] == [FIRMOGRAPHICS]
    assert listed["clay-company-firmographics"]["definition"] == "firmographics"


def test_a_body_no_definition_can_extract_is_kept_raw(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    client.post("/api/enrichment/workflows", json={"workflow_slug": "clay-mystery"})
    body = {
        "company_domain": "mystery.io",
        "workflow_slug": "clay-mystery",
        "raw_payload": {"something": "else"},
    }
    job = _run(client, FIRMOGRAPHICS, body)
    assert job["result"]["extracted"] is False
    unusable = {**body, "workflow_slug": "clay-company-firmographics"}
    assert _run(client, FIRMOGRAPHICS, unusable)["result"]["extracted"] is False
    with engine.connect() as conn:
        rows = conn.execute(select(t.workflow_payloads.c.extracted)).scalars().all()
    assert rows == [False, False]
    assert client.get("/api/companies/mystery.io").status_code == 404


def test_openapi_lists_every_workflow_route_with_its_body(client: TestClient) -> None:
    from pipeline.workflows import registry

    spec = client.get("/openapi.json").json()
    for definition in registry.DEFINITIONS:
        for route in definition.routes:
            operation = spec["paths"][route.path]["post"]
            assert operation["requestBody"]["required"] is True
            assert definition.request.__name__ in str(operation["requestBody"])


def test_variations_null_strings_and_grouped_counts(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    body = copy.deepcopy(load_fixture("workflows/clay-company-firmographics_1.json"))
    body["company_domain"] = "HTTP://www.EXAMPLE.com/about"
    body["raw_payload"] |= {"employee_count": "1,234", "industry": "null", "founded": "2010"}
    del body["workflow_slug"]
    _run(client, FIRMOGRAPHICS, body)
    company = _company(client, "example.com")
    assert company["employee_count"] == 1234
    assert company["industry"] is None
    assert company["founded_year"] == 2010
