"""The workflow mechanism end to end: generated routes, registry, raw first, golden record."""

from __future__ import annotations

import copy
import json
import math
from decimal import Decimal
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
    assert raw.raw_text is None  # jsonb holds it exactly: no text kept beside it
    # Re-firing the same body (forced past de-duplication) changes nothing.
    before = table_counts(engine)
    _run(client, FIRMOGRAPHICS, body, force=True)
    after = table_counts(engine)
    assert after.pop("raw.workflow_payloads") == before.pop("raw.workflow_payloads") + 1
    assert after == before
    assert _company(client, "example.com") == company


def test_a_body_with_negative_zeros_keeps_its_text_beside_the_jsonb(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    body = load_fixture("workflows/clay-company-firmographics_1.json")
    sent = json.dumps({**body, "x_marker": 0}).replace('"x_marker": 0', '"x": -0.0, "y": -0')
    response = client.post(
        FIRMOGRAPHICS, content=sent.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text
    assert wait_job(client, response.json()["job_id"])["status"] == "succeeded"
    with engine.connect() as conn:
        raw = conn.execute(select(t.workflow_payloads)).one()
    assert raw.raw_payload == {**body, "x": 0, "y": 0}  # jsonb: plain zeros
    kept = json.loads(raw.raw_text, parse_int=Decimal)
    assert math.copysign(1.0, kept["x"]) == -1.0 and kept["x"] == 0
    assert kept["y"].is_signed() and kept["y"].is_zero()
    assert {k: v for k, v in kept.items() if k not in ("x", "y")} == body


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
    assert unknown_definition.json()["error"]["field"] == "definition"
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


# --- the company workflows at their old paths --------------------------------------------

FIND = "/run/companies/clay-native/find-companies/ingest"
ENRICH = "/run/companies/companyenrich/ingest"
CORE = "/run/companies/db/core-company/upsert"
MANUAL = "/run/companies/manual/core-data/ingest"
FULL = "/run/companies/db/core-company-full/upsert"
LINKEDIN = "/run/companies/db/company-linkedin/update"
VC = "/run/companies/db/vc-domain/update"
PUBLIC = "/run/companies/manual/public-company-check/ingest"
SALESNAV = "/run/companies/salesnav/scraped-data/ingest"


def _samples() -> list[tuple[str, dict[str, Any], str]]:
    enrich_2 = load_fixture("workflows/companyenrich_2.json")
    return [
        (FIND, load_fixture("workflows/clay-find-companies_1.json"), "example.com"),
        (ENRICH, load_fixture("workflows/companyenrich_1.json"), "harness.io"),
        (ENRICH, {"domain": "www.Acme.com", "raw_payload": enrich_2}, "acme.com"),
        (CORE, load_fixture("workflows/upsert-core-company_1.json"), "example.com"),
        (MANUAL, load_fixture("workflows/upsert-core-company_1.json"), "example.com"),
        (FULL, load_fixture("workflows/upsert-core-company-full_1.json"), "stripe.com"),
        (
            LINKEDIN,
            {
                "domain": "stripe.com",
                "company_linkedin_url": "linkedin.com/company/stripe/",
                "short_description": "Payments",
            },
            "stripe.com",
        ),
        (VC, {"vc_name": "Alkeon Capital", "domain": "https://alkeon.com"}, "alkeon.com"),
        (PUBLIC, {"domain": "STRIPE.com", "company_name": "Stripe"}, "stripe.com"),
        (
            SALESNAV,
            {
                "company_name": "Harness",
                "linkedin_url": "https://www.linkedin.com/company/harnessinc/",
                "linkedin_urn": "urn:li:fs_salesCompany:12345678",
                "domain": "null",
                "headcount": "1,234",
                "industries": "Technology, Information and Internet",
                "description": "",
                "registered_address_raw": "San Francisco, California, United States",
            },
            "harness.io",
        ),
    ]


def test_every_company_path_accepts_its_sample(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    for path, body, domain in _samples():
        job = _run(client, path, body)
        assert job["result"]["extracted"] is True, (path, job)
        company = _company(client, domain)
        assert company["provenance"], path
    harness = _company(client, "harness.io")
    # The SalesNav scrape had no domain: it was matched on the LinkedIn page.
    assert harness["linkedin_url"] == "https://www.linkedin.com/company/harnessinc"
    assert harness["employee_count"] == 1234
    assert "Technology, Information and Internet" in harness["industries"]
    assert harness["investors"] == ["Alkeon Capital"]
    assert harness["funding_rounds"][0]["investors"] == ["Alkeon Capital"]
    assert {"continuous delivery", "devops", "kubernetes"} <= set(harness["keywords"])
    assert harness["subsidiaries"] == [{"name": "SubCo", "domain": "subco.com"}]
    assert {s["network"] for s in harness["socials"]} >= {"linkedin", "twitter"}
    assert harness["provenance"]["name"]["source"] == "companyenrich"  # priority 2 beats 4
    stripe = _company(client, "stripe.com")
    assert (stripe["is_public"], stripe["industry"], stripe["size_range"]) == (
        True,
        "Financial Services",
        "5001-10000",
    )
    assert stripe["description"] == "Payments"
    assert _company(client, "alkeon.com")["is_investor"] is True
    # Re-firing every body changes nothing.
    before = table_counts(engine)
    for path, body, _domain in _samples():
        _run(client, path, body, force=True)
    after = table_counts(engine)
    after.pop("raw.workflow_payloads")
    before.pop("raw.workflow_payloads")
    assert after == before


def test_priority_beats_recency_and_recency_breaks_ties(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    firmo = load_fixture("workflows/clay-company-firmographics_1.json")
    _run(client, CORE, {"domain": "example.com", "name": "Example (manual)"})
    newer = copy.deepcopy(firmo)
    newer["raw_payload"]["last_refresh"] = "2030-01-01T00:00:00Z"
    _run(client, FIRMOGRAPHICS, newer)
    company = _company(client, "example.com")
    assert company["name"] == "Example (manual)"  # priority 0 beats a newer priority 1
    assert company["provenance"]["name"]["source"] == "db-core-company-upsert"
    assert "Example Corp" in company["aliases"]
    assert company["industry"] == "Software"  # the manual source said nothing about it


def test_an_older_observation_arriving_late_never_wins(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    firmo = load_fixture("workflows/clay-company-firmographics_1.json")
    late = copy.deepcopy(firmo)
    late["raw_payload"] |= {"last_refresh": "2020-01-01T00:00:00Z", "industry": "Old Industry"}
    _run(client, FIRMOGRAPHICS, firmo)
    _run(client, FIRMOGRAPHICS, late)
    company = _company(client, "example.com")
    assert company["industry"] == "Software"
    assert company["provenance"]["industry"]["observed_at"].startswith("2026-01-10")
    # The same source, same priority: the newer observation wins.
    fresh = copy.deepcopy(firmo)
    fresh["raw_payload"] |= {"last_refresh": "2027-01-01T00:00:00Z", "industry": "New Industry"}
    _run(client, FIRMOGRAPHICS, fresh)
    assert _company(client, "example.com")["industry"] == "New Industry"


def test_omitted_fields_never_wipe_values(client: TestClient, worker: dramatiq.Worker) -> None:
    _run(client, FULL, load_fixture("workflows/upsert-core-company-full_1.json"))
    _run(client, FULL, {"company_name": "Stripe", "domain": "stripe.com", "industry": "null"})
    company = _company(client, "stripe.com")
    assert (company["industry"], company["city"]) == ("Financial Services", "San Francisco")


def test_a_conflicting_find_companies_linkedin_url_is_flagged_not_applied(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    _run(client, FIRMOGRAPHICS, load_fixture("workflows/clay-company-firmographics_1.json"))
    found = copy.deepcopy(load_fixture("workflows/clay-find-companies_1.json"))
    found["raw_payload"]["linkedin_url"] = "https://linkedin.com/company/someone-else"
    job = _run(client, FIND, found)
    assert job["result"]["flags"] == ["linkedin_url_conflict"]
    company = _company(client, "example.com")
    assert company["linkedin_url"] == "https://www.linkedin.com/company/example"
    with engine.connect() as conn:
        flags = conn.execute(
            select(t.workflow_payloads.c.flags).where(
                t.workflow_payloads.c.workflow_slug == "clay-find-companies"
            )
        ).scalar_one()
    assert flags == ["linkedin_url_conflict"]


POISON_FACTS = """
CREATE FUNCTION core.hq_test_poison() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'poisoned facts for a test'; END $$;
CREATE TRIGGER hq_test_poison BEFORE INSERT ON core.company_facts
FOR EACH ROW EXECUTE FUNCTION core.hq_test_poison();
"""
CURE_FACTS = (
    "DROP TRIGGER hq_test_poison ON core.company_facts; DROP FUNCTION core.hq_test_poison();"
)


def test_a_failing_sync_dead_letters_keeps_raw_and_replays(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text(POISON_FACTS))
    body = load_fixture("workflows/clay-company-firmographics_1.json")
    response = client.post(FIRMOGRAPHICS, json=body)
    job_id = response.json()["job_id"]
    dead = wait_job(client, job_id)
    assert (dead["status"], dead["stage"]) == ("dead", "sync_workflow")
    with engine.connect() as conn:
        assert conn.execute(select(t.workflow_payloads.c.raw_payload)).scalar_one() == body
    letters = client.get("/dead-letters", params={"stage": "sync_workflow"}).json()
    assert letters["items"][0]["workflow_slug"] == "clay-company-firmographics"
    with engine.begin() as conn:
        conn.execute(text(CURE_FACTS))
    replayed = client.post(f"/dead-letters/{letters['items'][0]['id']}/replay")
    assert replayed.status_code in (200, 202), replayed.text
    final = wait_job(client, job_id, until=("succeeded",))
    assert final["result"]["extracted"] is True
    assert _company(client, "example.com")["industry"] == "Software"


def test_profile_and_lead_chains_are_definitions_in_the_listing(client: TestClient) -> None:
    listed = {
        w["workflow_slug"]: w for w in client.get("/api/enrichment/workflows").json()["workflows"]
    }
    profile = listed["clay-person-profile"]
    assert (profile["definition"], profile["entity"]) == ("person_profile", "person")
    assert profile["paths"] == ["/run/people/clay-native/person-profile/ingest"]
    assert listed["client-form-lead"]["paths"] == ["/run/client/leads/ingest"]


def test_a_slug_registered_later_is_extracted_by_reprocess(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    client.post("/api/enrichment/workflows", json={"workflow_slug": "clay-firmo-new"})
    body = {**load_fixture("workflows/clay-company-firmographics_1.json")}
    body["workflow_slug"] = "clay-firmo-new"
    assert _run(client, FIRMOGRAPHICS, body)["result"]["extracted"] is False
    assert client.get("/api/companies/example.com").status_code == 404
    client.post(
        "/api/enrichment/workflows",
        json={"workflow_slug": "clay-firmo-new", "definition": "firmographics"},
    )
    accepted = client.post("/run/reprocess", json={"workflow_slug": "clay-firmo-new"})
    assert accepted.status_code == 202, accepted.text
    job = wait_job(client, accepted.json()["job_id"], timeout=60)
    assert job["result"]["done"] == 1, job
    company = _company(client, "example.com")
    assert company["provenance"]["industry"]["source"] == "clay-firmo-new"


def test_a_client_scoped_key_may_not_send_company_workflows(
    client: TestClient, engine: Engine
) -> None:
    from tests.conftest import create_key

    _key_id, key = create_key(engine, client_domain="thistlecove.ai")
    body = load_fixture("workflows/clay-company-firmographics_1.json")
    response = client.post(FIRMOGRAPHICS, json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403, response.text
