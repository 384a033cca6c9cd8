"""People-side workflows end to end: find people and the e-mail finders, through HTTP."""

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

FIND_PEOPLE = "/run/people/clay-native/find-people/ingest"
ANYMAIL = "/run/people/clay-anymail/get-email/ingest"
ICYPEAS = "/run/people/clay-icypeas/get-email/ingest"
LEADMAGIC = "/run/people/clay-leadmagic/get-email/ingest"
JANE = "https://www.linkedin.com/in/janedoe"


def _run(client: TestClient, path: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    response = client.post(path, json=body, params=params)
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    return job


def _person(client: TestClient, url: str) -> dict[str, Any]:
    response = client.get("/api/people", params={"linkedin_url": url})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _email_body(path: str, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
    field = {
        ANYMAIL: "anymailfinder_raw_payload",
        ICYPEAS: "icypeas_raw_payload",
        LEADMAGIC: "leadmagic_raw_payload",
    }[path]
    return {
        "first_name": "Jane",
        "last_name": "Doe",
        "person_linkedin_url": "linkedin.com/in/JaneDoe/",
        "company_name": "Example Inc",
        "domain": "example.com",
        field: payload,
        **extra,
    }


def test_find_people_sample_lands_classified_and_linked(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    body = load_fixture("workflows/clay-find-people_1.json")
    job = _run(client, FIND_PEOPLE, body)
    assert job["result"]["extracted"] is True
    person = _person(client, "HTTPS://WWW.linkedin.com/in/JohnDoe/")
    assert person["linkedin_url"] == "https://www.linkedin.com/in/johndoe"
    assert (person["first_name"], person["last_name"], person["full_name"]) == (
        "John",
        "Doe",
        "John Doe",
    )
    assert person["job_title"]["latest_title"] == "VP of Engineering"
    assert person["job_title"]["seniority_level"] == "VP"
    assert person["job_title"]["job_function"] == "Engineering"
    assert person["location"]["city"] == "San Francisco"
    assert person["location"]["country_code"] == "US"
    assert person["tenure"]["company_domain"] == "example.com"
    assert person["tenure"]["start_date"] == "2022-03-01"
    assert person["provenance"]["full_name"]["source"] == "clay-find-people"
    company = client.get("/api/companies/example.com").json()
    assert company["people"]["current"] == 1
    # Re-firing the same body changes nothing but the raw log.
    before = table_counts(engine)
    _run(client, FIND_PEOPLE, body, force=True)
    after = table_counts(engine)
    assert after.pop("raw.workflow_payloads") == before.pop("raw.workflow_payloads") + 1
    assert after == before
    assert _person(client, "linkedin.com/in/johndoe") == person


def test_find_people_cleaned_names_win_and_variations(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    body = copy.deepcopy(load_fixture("workflows/clay-find-people_1.json"))
    body["linkedin_url"] = "http://linkedin.com/in/JohnDoe?trk=abc"
    body["cleaned_first_name"] = "Johnny"
    body["cleaned_full_name"] = "null"
    body["raw_payload"] |= {"location_name": "null", "latest_experience_start_date": ""}
    del body["workflow_slug"]
    _run(client, FIND_PEOPLE, body)
    person = _person(client, "https://www.linkedin.com/in/johndoe")
    assert (person["first_name"], person["last_name"], person["full_name"]) == (
        "Johnny",
        "Doe",
        "Johnny Doe",
    )
    assert person["location"]["location_name"] is None
    assert person["tenure"]["start_date"] is None


def test_email_finders_keep_every_result_and_choose_one(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    leadmagic = load_fixture("workflows/leadmagic-email_2.json")
    icypeas = load_fixture("workflows/icypeas-email_1.json")
    anymail = load_fixture("workflows/anymailfinder-email_2.json")
    # An early unknown guess from AnyMailFinder …
    unknown = copy.deepcopy(anymail)
    unknown["results"] |= {"email": "J.Doe@Example.com", "validation": "unknown"}
    _run(client, ANYMAIL, _email_body(ANYMAIL, unknown))
    assert _person(client, JANE)["email"] == "j.doe@example.com"
    # … is corrected by later valid results.
    _run(client, LEADMAGIC, _email_body(LEADMAGIC, leadmagic))
    _run(client, ICYPEAS, _email_body(ICYPEAS, icypeas))
    person = _person(client, JANE)
    assert person["email"] == "jane.doe@example.com"  # valid, and the newest valid
    assert person["email_choice"]["provider"] == "icypeas"
    assert "status valid" in person["email_choice"]["reason"]
    by_provider = {(e["provider"], e["email"]): e for e in person["emails"]}
    assert set(by_provider) == {
        ("anymailfinder", "j.doe@example.com"),
        ("leadmagic", "jane_doe@example.com"),
        ("icypeas", "jane.doe@example.com"),
    }
    magic = by_provider[("leadmagic", "jane_doe@example.com")]
    assert (magic["status"], magic["raw_status"], magic["catch_all"]) == (
        "valid",
        "valid_catch_all",
        True,
    )
    assert magic["mx_provider"] == "Mimecast"
    assert "us-smtp-inbound-1.mimecast.com" in magic["mx_records"]
    assert by_provider[("icypeas", "jane.doe@example.com")]["certainty"] == "ultra_sure"
    assert person["first_name"] == "Jane"
    # The same provider later says its address is invalid: it is never chosen again.
    _run(client, ICYPEAS, _email_body(ICYPEAS, _icypeas_undeliverable(icypeas)))
    person = _person(client, JANE)
    assert person["email"] == "jane_doe@example.com"
    # Re-firing changes nothing.
    before = table_counts(engine)
    _run(client, LEADMAGIC, _email_body(LEADMAGIC, leadmagic), force=True)
    after = table_counts(engine)
    assert after.pop("raw.workflow_payloads") == before.pop("raw.workflow_payloads") + 1
    assert after == before
    assert _person(client, JANE) == person


def _icypeas_undeliverable(sample: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(sample)
    body["emails"][0]["certainty"] = "undeliverable"
    return body


def test_email_not_found_or_without_a_person_is_kept_raw(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    not_found = {"email": None, "status": "not_found", "message": "No email found"}
    job = _run(client, LEADMAGIC, _email_body(LEADMAGIC, not_found))
    assert job["result"]["extracted"] is False
    nobody = _email_body(ANYMAIL, load_fixture("workflows/anymailfinder-email_2.json"))
    nobody["person_linkedin_url"] = "null"
    job = _run(client, ANYMAIL, nobody)
    assert job["result"]["extracted"] is False
    empty = client.post(ICYPEAS, json=_email_body(ICYPEAS, {}))
    assert empty.status_code == 422


def test_email_finder_names_rank_after_find_people(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    body = copy.deepcopy(load_fixture("workflows/clay-find-people_1.json"))
    leadmagic = load_fixture("workflows/leadmagic-email_2.json")
    url = body["linkedin_url"]
    _run(client, FIND_PEOPLE, body)
    # A later e-mail body spells the name otherwise: find people (priority 2) still wins.
    _run(client, LEADMAGIC, _email_body(LEADMAGIC, leadmagic, person_linkedin_url=url))
    person = _person(client, url)
    assert person["email"] == "jane_doe@example.com"
    assert person["full_name"] == "John Doe"
    assert person["provenance"]["full_name"]["source"] == "clay-find-people"
    assert person["job_title"]["latest_title"] == "VP of Engineering"
