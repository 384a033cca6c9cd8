"""Signal workflows end to end: one row per event per client, work history, scoped reads."""

from __future__ import annotations

import copy
from typing import Any

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import create_key, load_fixture
from tests.integration.conftest import table_counts, wait_job

pytestmark = pytest.mark.integration

BASE = "/run/people/clay-native"
JOB_CHANGE = f"{BASE}/signal-job-change/ingest"
PROMOTION = f"{BASE}/signal-promotion/ingest"
POSTING = f"{BASE}/signal-job-posting/ingest"
JOB_CHANGE_2 = f"{BASE}/signal-job-change-2/ingest"
PROMOTION_2 = f"{BASE}/signal-promotion-2/ingest"
NEW_HIRE_2 = f"{BASE}/signal-new-hire-2/ingest"
POSTING_2 = "/run/companies/clay-native/signal-job-posting-2/ingest"
FIND_PEOPLE = f"{BASE}/find-people/ingest"
JOHN = "https://www.linkedin.com/in/johndoe"

#: Built from the field lists in WORKFLOWS.md (no sample exists): Clay's job-change event.
CHANGE_EVENT = {
    "person_linkedin_url": "https://linkedin.com/in/JohnDoe",
    "full_name": "John Doe",
    "previous_company_name": "Example Corp",
    "previous_company_domain": "example.com",
    "previous_title": "VP of Engineering",
    "new_company_name": "Globex",
    "new_company_domain": "https://www.globex.io/",
    "new_title": "Chief Technology Officer",
    "start_date": "Mar 3, 2026 at 14:05",
}


def _run(client: TestClient, path: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    response = client.post(path, json=body, **kw)
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    return job


def _signals(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/signals", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["signals"]
    return found


def _scoped(engine: Engine, client_domain: str) -> dict[str, str]:
    _, key = create_key(engine, client_domain=client_domain, name=f"client {client_domain}")
    return {"Authorization": f"Bearer {key}"}


def test_job_change_is_one_signal_and_moves_the_work_history(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    _run(client, FIND_PEOPLE, load_fixture("workflows/clay-find-people_1.json"))
    body = {
        "client_domain": "WWW.Acme-Client.com",
        "raw_job_change_payload": CHANGE_EVENT,
        "window_start": "2026-03-01",
        "window_end": "2026-03-31",
    }
    _run(client, JOB_CHANGE, body)
    (signal,) = _signals(client, client_domain="acme-client.com")
    assert signal["kind"] == "job_change"
    assert (signal["company_domain"], signal["title"]) == ("globex.io", "Chief Technology Officer")
    assert signal["occurred_on"] == "2026-03-03"
    assert signal["person_linkedin_url"] == JOHN
    assert signal["details"]["previous_company_domain"] == "example.com"
    person = client.get("/api/people", params={"linkedin_url": JOHN}).json()
    assert person["tenure"]["company_domain"] == "globex.io"
    assert person["job_title"]["latest_title"] == "Chief Technology Officer"
    assert person["job_title"]["seniority_level"] == "CXO"
    history = {(w["company_domain"], w["is_current"]) for w in person["work_history"]}
    assert history == {("example.com", False), ("globex.io", True)}
    # Re-firing (forced past de-duplication) changes nothing; another client gets its own.
    before = table_counts(engine)
    _run(client, JOB_CHANGE, body, params={"force": True})
    after = table_counts(engine)
    assert after.pop("raw.workflow_payloads") == before.pop("raw.workflow_payloads") + 1
    assert after == before
    _run(client, JOB_CHANGE, {**body, "client_domain": "other-client.com"})
    assert len(_signals(client)) == 2
    assert len(_signals(client, client_domain="acme-client.com", kind="job_change")) == 1
    assert _signals(client, client_domain="acme-client.com", kind="promotion") == []
    assert _signals(client, since="2999-01-01T00:00:00Z") == []


def test_scoped_keys_send_and_see_only_their_own_signals(
    client: TestClient, worker: dramatiq.Worker, engine: Engine
) -> None:
    acme, other = _scoped(engine, "acme-client.com"), _scoped(engine, "other-client.com")
    body = {"client_domain": "acme-client.com", "raw_job_change_payload": CHANGE_EVENT}
    _run(client, JOB_CHANGE, body, headers=acme)
    denied = client.post(JOB_CHANGE, json=body, headers=other)
    assert denied.status_code == 403
    flat = client.post(JOB_CHANGE_2, json={**CHANGE_EVENT}, headers=acme)
    assert flat.status_code == 403  # a scoped key must name its client
    mine = client.get("/api/signals", headers=acme).json()
    assert [s["client_domain"] for s in mine["signals"]] == ["acme-client.com"]
    theirs = client.get("/api/signals", headers=other).json()
    assert theirs["signals"] == []
    peek = client.get("/api/signals", params={"client_domain": "acme-client.com"}, headers=other)
    assert peek.status_code == 403


def test_promotion_and_older_flat_paths(client: TestClient, worker: dramatiq.Worker) -> None:
    _run(client, FIND_PEOPLE, load_fixture("workflows/clay-find-people_1.json"))
    promotion = {
        "person_linkedin_url": "linkedin.com/in/johndoe",
        "company_name": "Example Corp",
        "company_domain": "example.com",
        "previous_title": "VP of Engineering",
        "new_title": "SVP Engineering",
        "start_date": "2026-02-01",
    }
    _run(
        client, PROMOTION, {"client_domain": "acme-client.com", "raw_promotion_payload": promotion}
    )
    _run(client, PROMOTION_2, {**promotion, "client_domain": "acme-client.com"})  # same event
    (signal,) = _signals(client, kind="promotion")
    assert signal["title"] == "SVP Engineering"
    person = client.get("/api/people", params={"linkedin_url": JOHN}).json()
    assert person["tenure"]["title"] == "SVP Engineering"
    titles = {(w["title"], w["is_current"]) for w in person["work_history"]}
    assert titles == {("VP of Engineering", False), ("SVP Engineering", True)}
    # The older job-change row: flat fields, "null" strings, no client.
    flat = {**CHANGE_EVENT, "previous_title": "null", "client_domain": "acme-client.com"}
    _run(client, JOB_CHANGE_2, flat)
    assert len(_signals(client, kind="job_change")) == 1
    hire = load_fixture("workflows/clay-new-hire_1.json")
    _run(client, NEW_HIRE_2, {**hire, "client_domain": "acme-client.com"})
    (new_hire,) = _signals(client, kind="new_hire")
    assert new_hire["company_domain"] == "acme.com"
    missing = client.post(NEW_HIRE_2, json={"person_linkedin_url": JOHN})
    assert missing.status_code == 422
    # Several hires in one row, as Clay's comma-separated list cell (one already known).
    several = {
        **hire,
        "client_domain": "acme-client.com",
        "person_linkedin_url": "linkedin.com/in/johndoe, https://www.linkedin.com/in/ann-lee/",
    }
    _run(client, NEW_HIRE_2, several)
    hired = {s["person_linkedin_url"] for s in _signals(client, kind="new_hire")}
    assert hired == {JOHN, "https://www.linkedin.com/in/ann-lee"}
    ann = client.get("/api/people", params={"linkedin_url": "linkedin.com/in/ann-lee"}).json()
    assert ann["tenure"]["company_domain"] == "acme.com"


def test_job_postings_are_keyed_on_the_posting(client: TestClient, worker: dramatiq.Worker) -> None:
    sample = load_fixture("workflows/clay-job-posting_1.json")
    _run(client, POSTING_2, sample)
    variant = copy.deepcopy(sample)
    variant["company_domain"] = "https://WWW.Google.com"
    variant["job_linkedin_url"] = "https://www.linkedin.com/jobs/view/senior-engineer-123456/?trk=x"
    del variant["post_on"]
    variant["posted_on"] = "Jan 15, 2026"
    _run(client, POSTING_2, variant)
    (posting,) = _signals(client, kind="job_posting")
    assert posting["client_domain"] == ""
    assert (posting["company_domain"], posting["title"]) == (
        "google.com",
        "Senior Software Engineer",
    )
    assert posting["occurred_on"] == "2026-01-15"
    assert posting["details"]["job_id"] == "linkedin:123456"
    data = {"company_domain": "google.com", "job_title": "SRE", "job_id": "77", "post_on": "null"}
    _run(client, POSTING, {"client_domain": "acme-client.com", "raw_job_post_data_payload": data})
    assert len(_signals(client, client_domain="acme-client.com", kind="job_posting")) == 1
    company = client.get("/api/companies/google.com")
    assert company.status_code == 200


def test_stale_job_changes_leave_a_newer_profile_alone(
    client: TestClient, worker: dramatiq.Worker
) -> None:
    profile = load_fixture("payloads/clay_a.json")  # refreshed 2026-02-17
    url = "https://www.linkedin.com/in/marisol-quennell-4b2e"
    _run(client, "/run/people/clay-native/person-profile/ingest", profile)
    event = {
        "person_linkedin_url": url,
        "new_company_domain": "globex.io",
        "new_company_name": "Globex",
        "new_title": "Head of Robotics",
        "start_date": "2026-01",
        "detected_at": "2026-01-05",  # before the profile's refresh: stale for the history
    }
    body = {"client_domain": "acme-client.com", "raw_job_change_payload": event}
    _run(client, JOB_CHANGE, body)
    assert len(_signals(client, kind="job_change")) == 1  # the event is still recorded
    person = client.get("/api/people", params={"linkedin_url": url}).json()
    assert person["tenure"]["company_domain"] == "thistlecove.ai"
    fresh = {**event, "start_date": "2026-03", "detected_at": "Mar 3, 2026 at 14:05"}
    _run(client, JOB_CHANGE, {**body, "raw_job_change_payload": fresh})
    person = client.get("/api/people", params={"linkedin_url": url}).json()
    assert person["tenure"]["company_domain"] == "globex.io"
    current = {w["company_domain"] for w in person["work_history"] if w["is_current"]}
    assert current == {"globex.io"}
    # The profile chain re-syncing the (older) profile keeps what the workflows observed.
    _run(client, "/run/people/clay-native/person-profile/ingest", profile, params={"force": True})
    again = client.get("/api/people", params={"linkedin_url": url}).json()
    assert again["tenure"]["company_domain"] == "globex.io"
    assert again["work_history"] == person["work_history"]
