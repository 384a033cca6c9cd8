"""Lookups, reference updates and the re-sync loop, through HTTP on real Redis and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from pipeline import tables as t
from pipeline.locations import classify_location
from pipeline.titles import classify_title
from tests.conftest import load_fixture
from tests.integration.conftest import wait_job
from tests.integration.test_leads import scoped_key

TITLE_LOOKUP = "/run/people/db/person-job-title/lookup"
LOCATION_LOOKUP = "/run/people/db/person-location/lookup"
TITLE_UPDATE = "/run/reference/job-title/update"
LOCATION_UPDATE = "/run/reference/location/update"

#: The gazetteer behind location answers loads once per process, in seconds on a busy machine.
SLOW_FIRST_USE_S = 90.0

pytestmark = pytest.mark.integration


@pytest.fixture
def patient(client: TestClient) -> TestClient:
    """The client, with a lookup wait long enough for a cold gazetteer."""
    client.app.state.services.settings.lookup_wait_ms = int(SLOW_FIRST_USE_S * 1000)  # type: ignore[attr-defined]
    return client


def update(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Send a reference update and wait until `update_reference` has applied it."""
    response = client.post(path, json=body)
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"], timeout=SLOW_FIRST_USE_S)
    assert job["status"] == "succeeded", job
    result: dict[str, Any] = job["result"]
    return result


def eventually(read: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    """Poll `read()` until `ok(value)`; fail with the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r}")
        time.sleep(0.05)


def test_title_lookup_misses_with_a_suggestion_then_matches_after_update(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    miss = client.post(TITLE_LOOKUP, json={"job_title": "Sr. Product Designer"})
    assert miss.status_code == 200, miss.text
    body = miss.json()
    assert body["match_status"] is False
    assert body["cleaned_job_title"] is None and body["seniority_level"] is None
    assert body["suggestion"] == classify_title("Sr. Product Designer").model_dump()
    assert wait_job(client, body["job_id"])["result"]["match_status"] is False

    update(
        client,
        TITLE_UPDATE,
        {
            "latest_title": "Sr. Product Designer",
            "cleaned_job_title": "Senior Product Designer",
            "seniority_level": "senior",
            "job_function": "arts and design",
        },
    )
    hit = client.post(TITLE_LOOKUP, json={"job_title": "  sr.   PRODUCT designer "}).json()
    assert hit["match_status"] is True
    assert hit["job_title"] == "sr.   PRODUCT designer"  # echoed (trimmed), not the stored one
    assert (hit["cleaned_job_title"], hit["seniority_level"], hit["job_function"]) == (
        "Senior Product Designer",
        "Senior",
        "Arts and Design",
    )
    assert "suggestion" not in hit or hit["suggestion"] is None


def test_update_keeps_fields_left_out(
    patient: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    client = patient
    full = {
        "latest_title": "Head of RevOps",
        "cleaned_job_title": "Head of Revenue Operations",
        "seniority_level": "Director",
        "job_function": "Operations",
        "status": "verified",
    }
    update(client, TITLE_UPDATE, full)
    result = update(
        client,
        TITLE_UPDATE,
        {"latest_title": "head of revops", "cleaned_job_title": "Head of RevOps", "status": ""},
    )
    assert result["changed_fields"] == ["cleaned_job_title"]  # "" is an empty Clay cell
    with engine.connect() as conn:
        row = conn.execute(select(t.job_title_lookup)).one()._mapping
    assert row["cleaned_job_title"] == "Head of RevOps"
    assert (row["seniority_level"], row["job_function"], row["status"]) == (
        "Director",
        "Operations",
        "verified",
    )

    update(client, LOCATION_UPDATE, {"location_name": "Bay Area", "state": "California"})
    update(client, LOCATION_UPDATE, {"location_name": "bay area", "country": "United States"})
    loc = client.post(LOCATION_LOOKUP, json={"location_name": "BAY  AREA"}).json()
    assert loc["match_status"] is True
    assert (loc["city"], loc["state"], loc["country"]) == (None, "California", "United States")
    assert (loc["has_city"], loc["has_state"], loc["has_country"]) == (False, True, True)
    with engine.connect() as conn:
        code = conn.execute(select(t.location_lookup.c.country_code)).scalar_one()
    assert code == "US"  # derived from the country sent


def test_location_lookup_miss_suggests(patient: TestClient, worker: dramatiq.Worker) -> None:
    body = patient.post(LOCATION_LOOKUP, json={"location_name": "Boulder, CO 80302"}).json()
    assert body["match_status"] is False
    assert (body["has_city"], body["has_state"], body["has_country"]) == (False, False, False)
    assert body["suggestion"] == classify_location("Boulder, CO 80302").model_dump()
    assert body["suggestion"]["country_code"] == "US"


def test_lookup_answers_202_when_the_wait_runs_out(client: TestClient) -> None:
    client.app.state.services.settings.lookup_wait_ms = 50  # type: ignore[attr-defined]
    response = client.post(TITLE_LOOKUP, json={"job_title": "COO"})
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert client.get(f"/jobs/{job_id}").json()["status"] == "queued"

    worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        job = wait_job(client, job_id)
    finally:
        worker.stop(timeout=10_000)
    assert job["status"] == "succeeded"
    assert job["result"]["match_status"] is False
    assert job["result"]["suggestion"]["seniority_level"] == "CXO"


def test_invalid_updates_and_scoped_keys_are_refused(client: TestClient, engine: Engine) -> None:
    bad = client.post(
        TITLE_UPDATE,
        json={"latest_title": "x", "cleaned_job_title": "X", "seniority_level": "Mid"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "seniority_level"
    assert client.post(TITLE_LOOKUP, json={"job_title": "   "}).status_code == 422
    headers = scoped_key(engine, "acme.io")
    for path, body in (
        (TITLE_UPDATE, {"latest_title": "x", "cleaned_job_title": "X"}),
        (LOCATION_UPDATE, {"location_name": "x"}),
    ):
        assert client.post(path, json=body, headers=headers).status_code == 403


def _person(client: TestClient, url: str) -> dict[str, Any]:
    response = client.get("/api/people", params={"linkedin_url": url})
    assert response.status_code == 200, response.text
    person: dict[str, Any] = response.json()
    return person


def test_update_resyncs_unmatched_people_and_refreshes_matched_ones(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    body = load_fixture("payloads/clay_a.json")
    response = client.post("/run/people/clay-native/person-profile/ingest", json=body)
    job = wait_job(client, response.json()["job_id"], timeout=SLOW_FIRST_USE_S)
    assert job["status"] == "succeeded"
    person = _person(client, body["linkedin_url"])
    title, location = person["job_title"], person["location"]
    assert title["matched"] is False and location["state"] != "CO"

    result = update(
        client,
        TITLE_UPDATE,
        {
            "latest_title": title["latest_title"].upper(),
            "cleaned_job_title": "Engineering Group Lead",
            "seniority_level": "Manager",
            "job_function": "Engineering",
        },
    )
    assert result["people_resynced"] == 1 and len(result["resync_job_ids"]) == 1
    assert wait_job(client, result["resync_job_ids"][0])["status"] == "succeeded"
    title = _person(client, body["linkedin_url"])["job_title"]
    assert title["matched"] is True
    assert (title["cleaned_job_title"], title["seniority_level"]) == (
        "Engineering Group Lead",
        "Manager",
    )

    # Already matched: a later change reaches the person in the update's own transaction.
    result = update(
        client,
        TITLE_UPDATE,
        {"latest_title": title["latest_title"], "cleaned_job_title": "Group Engineering Lead"},
    )
    assert (result["people_refreshed"], result["people_resynced"]) == (1, 0)
    title = _person(client, body["linkedin_url"])["job_title"]
    assert (title["cleaned_job_title"], title["seniority_level"]) == (
        "Group Engineering Lead",
        "Manager",
    )

    result = update(
        client,
        LOCATION_UPDATE,
        {"location_name": location["location_name"], "city": "Denver", "state": "CO"},
    )
    assert result["people_resynced"] == 1
    located = eventually(
        lambda: _person(client, body["linkedin_url"])["location"],
        lambda loc: loc["state"] == "CO",
        timeout=SLOW_FIRST_USE_S,
    )
    assert located["city"] == "Denver"
