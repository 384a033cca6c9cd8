"""Target-client leads: the client-lead chain under `target_client_domain`, and linking a
client's leads to the golden person and company."""

from __future__ import annotations

from datetime import UTC, datetime
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


# --- linking leads to the golden person and company -----------------------------------------

LINK = "/run/target-client/leads/link"
BATCH = "/run/target-client/leads/link-batch"
FIND_PEOPLE = "/run/people/clay-native/find-people/ingest"
CORE_COMPANY = "/run/companies/db/core-company/upsert"

JOHN = {
    "person_linkedin_url": "https://LinkedIn.com/in/JohnDoe/",
    "work_email": "John.Doe@Example.com",
    "company_domain": "https://www.example.com/about",
}
ANA = {"work_email": "Ana.Ruiz@Globex.io", "first_name": "Ana"}
CLIENT = "thistlecove.ai"


def _golden(client: TestClient) -> dict[str, tuple[Any, Any]]:
    page = client.get("/api/leads", params={"client_domain": CLIENT}).json()
    return {
        lead["email"]: (lead["golden_person"], lead["golden_company"]) for lead in page["leads"]
    }


def test_link_joins_leads_to_golden_records_found_then_or_later(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    for lead in (JOHN, ANA):
        finished(client, client.post(INGEST, json={"target_client_domain": CLIENT, **lead}))
    finished(
        client,
        client.post(
            FIND_PEOPLE,
            json={
                "linkedin_url": "linkedin.com/in/johndoe",
                "raw_payload": {"first_name": "John", "last_name": "Doe", "name": "John Doe"},
            },
        ),
    )
    finished(client, client.post(CORE_COMPANY, json={"domain": "example.com", "name": "Example"}))
    assert _golden(client)["john.doe@example.com"] == (None, None)  # not linked yet

    batch = {"target_client_domain": CLIENT, "leads": [JOHN, ANA]}
    job = finished(client, client.post(BATCH, json=batch))
    assert [s["stage"] for s in job["stages"]] == ["store_lead_link", "link_leads"]
    result = job["result"]
    assert (result["linked"], result["unlinked"], result["changed"]) == (1, 1, 2)
    assert [item["leads"] for item in result["leads"]] == [1, 1]

    john, ana = _golden(client)["john.doe@example.com"], _golden(client)["ana.ruiz@globex.io"]
    assert john[0]["linkedin_url"] == "https://www.linkedin.com/in/johndoe"
    assert john[0]["full_name"] == "John Doe" and john[0]["person_id"]
    assert (john[1]["domain"], john[1]["name"]) == ("example.com", "Example")
    assert ana[0]["person_id"] is None and ana[1]["company_id"] is None  # kept by key

    # Enrichment after the link reaches the lead without linking again (a join by key).
    finished(client, client.post(CORE_COMPANY, json={"domain": "globex.io", "name": "Globex"}))
    with engine.begin() as conn:  # as an e-mail finder leaves it: a result, the best e-mail
        ana_id = conn.execute(
            t.people.insert()
            .values(
                linkedin_url="https://www.linkedin.com/in/ana-ruiz",
                slug="ana-ruiz",
                full_name="Ana Ruiz",
                email="ana.ruiz@globex.io",
            )
            .returning(t.people.c.id)
        ).scalar_one()
        conn.execute(
            t.person_emails.insert().values(
                person_id=ana_id,
                email="ana.ruiz@globex.io",
                provider="leadmagic",
                status="valid",
                source="clay-leadmagic-get-email",
                observed_at=datetime.now(UTC),
            )
        )
    person, company = _golden(client)["ana.ruiz@globex.io"]
    assert (person["full_name"], company["name"]) == ("Ana Ruiz", "Globex")

    # Linking again stores what was found since; once more changes nothing.
    again = finished(client, client.post(BATCH, json=batch, params={"force": "true"}))
    assert (again["result"]["linked"], again["result"]["changed"]) == (2, 1)
    with engine.connect() as conn:
        before = conn.execute(select(t.lead_links).order_by(t.lead_links.c.link_key)).all()
    one = finished(client, client.post(LINK, json={"target_client_domain": CLIENT, **ANA}))
    assert (one["result"]["linked"], one["result"]["changed"]) == (1, 0)
    with engine.connect() as conn:
        after = conn.execute(select(t.lead_links).order_by(t.lead_links.c.link_key)).all()
    assert after == before and len(after) == 4  # two people, two companies


def test_link_errors_name_the_lead_and_field(client: TestClient) -> None:
    cases = [
        (BATCH, {"target_client_domain": CLIENT, "leads": [ANA, {"work_email": "nope"}]}),
        (BATCH, {"target_client_domain": CLIENT, "leads": [{"first_name": "X"}]}),
        (BATCH, {"target_client_domain": CLIENT, "leads": []}),
        (BATCH, {"leads": [ANA]}),
        (
            BATCH,
            {"leads": [{"target_client_domain": CLIENT, **ANA}, {"target_client_domain": "o.io"}]},
        ),
        (LINK, {"target_client_domain": CLIENT, "person_linkedin_url": "linkedin.com/company/x"}),
        (LINK, ANA),
    ]
    fields = [
        "leads[1].work_email",
        "leads[0].work_email",
        "leads",
        "leads[0].target_client_domain",
        "leads[1].target_client_domain",
        "person_linkedin_url",
        "target_client_domain",
    ]
    for (path, body), field in zip(cases, fields, strict=True):
        response = client.post(path, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, response.json()


def test_a_scoped_key_links_its_own_client_only(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    own = scoped_key(engine, CLIENT)
    other = {"target_client_domain": "tallisferry.io", **ANA}
    assert client.post(LINK, json=other, headers=own).status_code == 403
    batch = {"leads": [{"target_client_domain": "tallisferry.io", **ANA}]}
    assert client.post(BATCH, json=batch, headers=own).status_code == 403
    response = client.post(LINK, json={"target_client_domain": CLIENT, **ANA}, headers=own)
    job = finished(client, response)
    assert (job["result"]["linked"], job["result"]["unlinked"]) == (0, 1)
    assert client.get(f"/jobs/{job['job_id']}", headers=own).status_code == 200


def test_the_link_routes_are_documented_with_their_bodies(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, required in ((LINK, "target_client_domain"), (BATCH, "leads")):
        operation = document["paths"][path]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert required in schema["required"], path
        assert {"202", "403", "422"} <= set(operation["responses"]), path
    leads = document["components"]["schemas"]["Lead"]["properties"]
    assert {"golden_person", "golden_company"} <= set(leads)


def test_a_batch_naming_one_person_twice_links_it_once(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    finished(client, client.post(INGEST, json={"target_client_domain": CLIENT, **ANA}))
    twice = {**ANA, "person_linkedin_url": "linkedin.com/in/ana-ruiz"}
    batch = {"target_client_domain": CLIENT, "leads": [ANA, twice, {"company_domain": "globex.io"}]}
    job = finished(client, client.post(BATCH, json=batch))
    assert [item["leads"] for item in job["result"]["leads"]] == [1, 1, 1]
    with engine.connect() as conn:
        rows = conn.execute(select(t.lead_links.c.kind, t.lead_links.c.linkedin_url)).all()
    assert sorted(rows) == [("company", None), ("person", "https://www.linkedin.com/in/ana-ruiz")]
